#!/usr/bin/env bash
# The remote classifier pool (issue 20) next to the in-process engine, on the same model and the same conversations:
#   pool        `guardrail eval --remote A --remote B`: two `guardrail serve` processes as the pool
#   in process  `guardrail eval --model`: the engine loaded in the process
# and, for the pool, the latency the client adds per check over the server's own time: every serve answer carries
# `Server-Timing: total;dur=MS` (request in to answer ready), the pool client reports the check's time (prompt built
# and tokenized, sent, answer parsed) minus that, p50 and p99. Goal (issue 20): under 1 ms p50 added.
# The keyword guard by default (real llama.cpp inference on a tiny model: the figures show what the remote path
# adds, not what a real model costs); pass a shape-faithful model for that.
# Last, the floor under that figure: the same prompts posted to one server by a minimal Python client
# (benchmarks/pool/roundtrip.py), one at a time.
# Usage: benchmarks/pool.sh [model.gguf] [items] [batch]
# Numbers, not a test: nothing here runs in CI. Results go in docs/BENCHMARKS.md with the command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"

items="${2:-400}"
batch="${3:-4}"
source "$GUARDRAIL_ROOT/benchmarks/lib.sh"

model="${1:-$GUARDRAIL_ROOT/.cache/bench/keyword-guard.gguf}"
bench_model "$model" "the keyword guard (bomb=S1, violin=S10)" --keyword-guard "bomb=S1,violin=S10"

work="$(mktemp -d)"
serve_pids=()
cleanup() {
    for pid in "${serve_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

say "the $items conversations (bench classify writes them as a set)"
"${guardrail[@]}" bench classify --model "$model" --requests "$items" --concurrency "$batch" --context 2048 --export-set "$work/set.jsonl" --export-prompts "$work/prompts.txt" >/dev/null

# The two servers split the machine's cores, so that pool and in-process eval get the same compute (on separate
# machines each server would have its own); two servers each spinning every core on one machine measure the
# oversubscription instead (llama.cpp's threads busy-wait between graph nodes).
serve_threads=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
remotes=()
for n in 0 1; do
    port=$((20000 + RANDOM % 20000))
    say "guardrail serve $n on 127.0.0.1:$port ($batch sequences, $serve_threads threads)"
    "${guardrail[@]}" serve --model "$model" --port "$port" --parallel "$batch" --context 2048 --gpu-layers 0 --threads "$serve_threads" >"$work/serve-$n.log" 2>&1 &
    serve_pids+=($!)
    remotes+=(--remote "http://127.0.0.1:$port")
done
for url in "${remotes[@]}"; do
    [[ "$url" == --remote ]] && continue
    for _ in $(seq 1 120); do curl -sf "$url/healthz" >/dev/null && break; sleep 1; done
    curl -sf "$url/healthz" >/dev/null || die "serve at $url did not start: $(cat "$work"/serve-*.log)"
done

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for round in 1 2; do
    say "round $round: pool of two, $items checks, $batch in flight"
    "${guardrail[@]}" eval "${remotes[@]}" --tokenizer "$model" --set "$work/set.jsonl" --batch "$batch" --context 2048 --out "$work/pool-$round" | grep -E '^Remote|^Added' || true
    grep '^- Run:' "$work/pool-$round/report.md"

    say "round $round: in process, the same $items checks"
    "${guardrail[@]}" eval --model "$model" --set "$work/set.jsonl" --batch "$batch" --context 2048 --gpu-layers 0 --out "$work/local-$round" >/dev/null
    grep '^- Run:' "$work/local-$round/report.md"
done
say "the bare HTTP floor: the same prompts to one server, one at a time, from a minimal client"
python3 benchmarks/pool/roundtrip.py "${remotes[1]}" "$work/prompts.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
