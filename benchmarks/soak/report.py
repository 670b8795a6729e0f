#!/usr/bin/env python3
"""The soak run's table (benchmarks/soak.sh): reads OUT_DIR's summary.json, blocked-ids.txt, audit-blocked.jsonl and
gateway.log, prints a Markdown table, and exits 1 when a goal is missed (RSS growth 5% or more after warm-up, any
unexpected answer, a blocked decision missing from the audit log).
Usage: report.py OUT_DIR
"""
import json
import os
import sys

out = sys.argv[1]
summary = json.load(open(os.path.join(out, "summary.json")))
seen = [line.strip() for line in open(os.path.join(out, "blocked-ids.txt")) if line.strip()]
audited = set()
for line in open(os.path.join(out, "audit-blocked.jsonl")):
    if line.strip():
        record = json.loads(line)
        audited.add(record.get("decision_id") or record.get("id"))
missing = [i for i in seen if i not in audited]
log_lines = open(os.path.join(out, "gateway.log"), errors="replace").read().splitlines()
log_errors = [l for l in log_lines if l.startswith(("fail:", "crit:"))]
log_warnings = [l for l in log_lines if l.startswith("warn:")]

MiB = 1024 * 1024
w, e = summary["warmup_end"], summary["end"]
rows = [
    ("duration, rate", f'{summary["seconds"] / 60:.0f} min at {summary["rate"]:g} req/s, {summary["sent"]} requests ({summary.get("skipped", 0)} slots dropped while behind schedule)'),
    (f'RSS at warm-up end ({summary["warmup_s"] / 60:.1f} min) / end', f'{w["rss_bytes"] / MiB:.1f} / {e["rss_bytes"] / MiB:.1f} MiB'),
    ("RSS growth after warm-up", f'{summary["rss_growth_pct"]:+.2f}% (max {summary["rss_max_after_warmup"] / MiB:.1f} MiB)'),
    ("GC heap at warm-up end / end (max)", f'{w["gc_heap_bytes"] / MiB:.1f} / {e["gc_heap_bytes"] / MiB:.1f} MiB ({summary["gc_heap_max_after_warmup"] / MiB:.1f})'),
    ("threads, open handles at warm-up end / end (max)", f'{w["threads"]}, {w["handles"]} / {e["threads"]}, {e["handles"]} ({summary["max_threads"]}, {summary["max_handles"]})'),
    ("max classifier queue / audit queue", f'{summary["max_classifier_queue"]} / {summary["max_audit_queue"]}'),
    ("answers per class", ", ".join(f"{k} {v}" for k, v in summary["counts"].items())),
    ("unexpected answers", str(summary["errors"])),
    ("blocked decisions seen / in the audit log", f"{len(seen)} / {len(seen) - len(missing)} (audit holds {len(audited)} blocks)"),
    ("gateway log: fail/crit, warn lines", f"{len(log_errors)}, {len(log_warnings)}"),
]
print("| | |\n|---|---|")
for name, value in rows:
    print(f"| {name} | {value} |")

problems = []
if summary["rss_growth_pct"] >= 5:
    problems.append(f'RSS grew {summary["rss_growth_pct"]}% after warm-up')
if summary["errors"]:
    problems.append(f'{summary["errors"]} unexpected answers (see {out}/errors.txt)')
if missing:
    problems.append(f"{len(missing)} blocked decisions not in the audit log, e.g. {missing[:3]}")
if log_errors:
    problems.append(f"{len(log_errors)} fail/crit lines in {out}/gateway.log")
for problem in problems:
    print("MISSED: " + problem, file=sys.stderr)
sys.exit(1 if problems else 0)
