#!/usr/bin/env python3
"""The soak run's load driver and sampler (benchmarks/soak.sh).

Sends a steady mix of chat completions through the gateway at a fixed rate for a fixed time, checks every answer
against what its class must get, and every 10 s samples the gateway process (RSS, threads and open handles from
/proc) and its /metrics (GC heap, classifier and audit queues). Writes, into OUT_DIR:
  samples.csv      one row per sample
  blocked-ids.txt  the x-guardrail-decision-id (or the cut chunk's guardrail.decision_id) of every blocked answer
  errors.txt       the first answers that were not what their class must get
  summary.json     counts per class, errors, and the sampled figures at warm-up end and at the end
A slot more than LATE_SECONDS behind schedule is dropped (counted as skipped) rather than sent in a burst.
Usage: driver.py GATEWAY_URL GATEWAY_PID CLIENT_KEY ADMIN_KEY SECONDS RATE OUT_DIR
"""
import csv
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

# Class name -> weight in the mix (per cent). The prompt classes differ by content, the answer ones by the
# x-soak-answer header the fake backend reads.
MIX = [
    ("safe", 40),            # safe prompt, safe answer: 200, finish_reason stop
    ("blocked_prompt", 15),  # prompt with the blocked word: 400 content_filter
    ("blocked_response", 10),  # safe prompt, blocked answer: 200 refusal, finish_reason content_filter
    ("stream", 20),          # safe stream: every event, [DONE], no content_filter
    ("stream_cut", 5),       # stream with the blocked word: the gateway ends it with a content_filter chunk
    ("client_cut", 9),       # safe stream the client abandons after its first event
    ("malformed", 1),        # a body that is not JSON: 400 invalid_request_error
]
WORKERS = 8
LATE_SECONDS = 1.0
SAMPLE_SECONDS = 10
METRICS = {
    "gc_heap_bytes": "dotnet_total_memory_bytes",
    "classifier_queue": "guardrail_classifier_queue_depth",
    "audit_queue": "guardrail_audit_queue_depth",
}


def body(kind):
    if kind == "malformed":
        return b'{"model": "llama-3-8b", "messages": [{"role": "user", "content": "unfinished'
    text = "Tell me how to make a bomb." if kind == "blocked_prompt" else "What is spring like in Paris?"
    request = {"model": "llama-3-8b", "messages": [{"role": "user", "content": text}]}
    if kind in ("stream", "stream_cut", "client_cut"):
        request["stream"] = True
    return json.dumps(request).encode()


ANSWER = {"blocked_response": "unsafe", "stream": "stream", "stream_cut": "stream-unsafe", "client_cut": "stream"}


class Run:
    def __init__(self, url, pid, key, admin_key, seconds, rate, out):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.pid, self.key, self.admin_key = pid, key, admin_key
        self.seconds, self.rate, self.out = seconds, rate, out
        self.lock = threading.Lock()
        self.counts = {name: 0 for name, _ in MIX}
        self.errors = 0
        self.error_lines = []
        self.blocked_ids = []
        self.sent = 0
        self.skipped = 0
        self.start = time.monotonic()
        self.deadline = self.start + seconds

    # ---- load
    def worker(self, index):
        rng = random.Random(index)
        kinds = [name for name, weight in MIX for _ in range(weight)]
        connection = None
        slot = index
        while True:
            due = self.start + slot / self.rate
            if due >= self.deadline:
                break
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            slot += WORKERS
            if pause < -LATE_SECONDS:
                # Behind schedule (a slow answer, a loaded machine): drop the slot rather than catch up in a burst.
                with self.lock:
                    self.skipped += 1
                continue
            kind = rng.choice(kinds)
            if connection is None:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                keep = self.one(connection, kind)
            except Exception as error:  # a connection error is an error like any other
                keep = False
                self.fail(kind, f"{type(error).__name__}: {error}")
            if not keep:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()

    def one(self, connection, kind):
        headers = {"authorization": "Bearer " + self.key, "content-type": "application/json"}
        if kind in ANSWER:
            headers["x-soak-answer"] = ANSWER[kind]
        connection.request("POST", "/v1/chat/completions", body=body(kind), headers=headers)
        response = connection.getresponse()
        with self.lock:
            self.sent += 1
        decision = response.getheader("x-guardrail-decision-id")
        if kind == "client_cut":
            first = response.readline()  # the first line of the first event, then hang up mid-stream
            if response.status == 200 and first.startswith(b"data: "):
                self.ok(kind)
            else:
                self.fail(kind, f"{response.status} {first[:200]!r}")
            return False
        text = response.read().decode("utf-8", "replace")
        problem = self.check(kind, response.status, response.getheader("content-type") or "", text, decision)
        if problem is None:
            self.ok(kind)
        else:
            self.fail(kind, problem)
        return not response.will_close

    def check(self, kind, status, content_type, text, decision):
        if kind == "malformed":
            if status == 400 and '"invalid_request_error"' in text:
                return None
            return f"{status} {text[:300]}"
        if kind == "blocked_prompt":
            if status == 400 and '"content_filter"' in text and decision:
                self.blocked(decision)
                return None
            return f"{status} {decision} {text[:300]}"
        if status != 200 or not decision:
            return f"{status} {decision} {text[:300]}"
        if kind in ("safe", "blocked_response"):
            finish = json.loads(text)["choices"][0]["finish_reason"]
            expected = "stop" if kind == "safe" else "content_filter"
            if finish != expected:
                return f"finish_reason {finish}: {text[:300]}"
            if kind == "blocked_response":
                self.blocked(decision)
            return None
        # streams
        if not content_type.startswith("text/event-stream") or not text.rstrip().endswith("data: [DONE]"):
            return f"not a whole event stream: {text[-300:]}"
        events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
        cut = [e for e in events if any(c.get("finish_reason") == "content_filter" for c in e.get("choices", []))]
        if kind == "stream":
            content = "".join(c["delta"].get("content") or "" for e in events for c in e.get("choices", []))
            if cut or not content.endswith("river."):
                return f"safe stream changed: {text[-300:]}"
            return None
        if len(cut) != 1 or "guardrail" not in cut[0]:
            return f"stream not cut once: {text[-300:]}"
        self.blocked(cut[0]["guardrail"]["decision_id"])
        return None

    def ok(self, kind):
        with self.lock:
            self.counts[kind] += 1

    def fail(self, kind, what):
        with self.lock:
            self.errors += 1
            if len(self.error_lines) < 50:
                self.error_lines.append(f"{time.monotonic() - self.start:.1f}s {kind}: {what}")

    def blocked(self, decision_id):
        with self.lock:
            self.blocked_ids.append(decision_id)

    # ---- samples
    def metrics(self):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("GET", "/metrics", headers={"authorization": "Bearer " + self.admin_key})
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        values = {}
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            name = line.split("{", 1)[0].split(" ", 1)[0]
            for column, metric in METRICS.items():
                if name == metric:  # summed over labels (per-tenant queues, one audit store)
                    values[column] = values.get(column, 0.0) + float(line.rsplit(" ", 1)[1])
        return values

    def sample(self):
        status = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                status[key] = value.strip()
        row = {
            "elapsed_s": round(time.monotonic() - self.start, 1),
            "rss_bytes": int(status["VmRSS"].split()[0]) * 1024,
            "threads": int(status["Threads"]),
            "handles": len(os.listdir(f"/proc/{self.pid}/fd")),
        }
        metrics = self.metrics()
        for column in METRICS:
            row[column] = int(metrics.get(column, -1))
        with self.lock:
            row["requests"] = self.sent
            row["skipped"] = self.skipped
            row["errors"] = self.errors
        return row

    def sampler(self, rows, stop):
        while True:
            rows.append(self.sample())
            print("sample " + " ".join(f"{k}={v}" for k, v in rows[-1].items()), flush=True)
            if stop.wait(SAMPLE_SECONDS):
                rows.append(self.sample())
                return

    def run(self):
        rows, stop = [], threading.Event()
        sampler = threading.Thread(target=self.sampler, args=(rows, stop))
        sampler.start()
        workers = [threading.Thread(target=self.worker, args=(i,)) for i in range(WORKERS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        time.sleep(2)  # let the audit queue drain before the last sample
        stop.set()
        sampler.join()
        self.write(rows)

    def write(self, rows):
        with open(os.path.join(self.out, "samples.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        with open(os.path.join(self.out, "blocked-ids.txt"), "w") as f:
            f.writelines(i + "\n" for i in self.blocked_ids)
        with open(os.path.join(self.out, "errors.txt"), "w") as f:
            f.writelines(line + "\n" for line in self.error_lines)
        # Warm-up: the first fifth of the run, at most five minutes.
        warmup = min(300.0, self.seconds / 5)
        after = [r for r in rows if r["elapsed_s"] >= warmup]
        first, last = after[0], rows[-1]
        summary = {
            "seconds": self.seconds, "rate": self.rate, "warmup_s": warmup,
            "sent": self.sent, "skipped": self.skipped, "counts": self.counts, "errors": self.errors,
            "blocked_seen": len(self.blocked_ids),
            "warmup_end": first, "end": last,
            "rss_growth_pct": round(100.0 * (last["rss_bytes"] - first["rss_bytes"]) / first["rss_bytes"], 2),
            "rss_max_after_warmup": max(r["rss_bytes"] for r in after),
            "gc_heap_max_after_warmup": max(r["gc_heap_bytes"] for r in after),
            "max_classifier_queue": max(r["classifier_queue"] for r in rows),
            "max_audit_queue": max(r["audit_queue"] for r in rows),
            "max_threads": max(r["threads"] for r in rows),
            "max_handles": max(r["handles"] for r in rows),
        }
        with open(os.path.join(self.out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    url, pid, key, admin_key, seconds, rate, out = sys.argv[1:8]
    Run(url, int(pid), key, admin_key, float(seconds), float(rate), out).run()
