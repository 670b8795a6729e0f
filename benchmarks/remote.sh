#!/usr/bin/env bash
# Checks per second through the remote classifier (issue 20) next to the in-process engine, on the same model and the
# same conversations: `guardrail eval --remote` against a `guardrail serve` process, then `guardrail eval --model`.
# The keyword guard by default (real llama.cpp inference, tiny model: the numbers show what the remote path adds);
# pass a shape-faithful model for the real cost of decoding.
# Usage: benchmarks/remote.sh [model.gguf] [items] [batch]
# Numbers, not a test: nothing here runs in CI. Results go in docs/BENCHMARKS.md with the command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"

items="${2:-200}"
batch="${3:-4}"
source "$GUARDRAIL_ROOT/benchmarks/lib.sh"

model="${1:-$GUARDRAIL_ROOT/.cache/bench/keyword-guard.gguf}"
bench_model "$model" "the keyword guard (bomb=S1, violin=S10)" --keyword-guard "bomb=S1,violin=S10"

work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
serve_pid=""
cleanup() {
    if [[ -n "$serve_pid" ]]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

say "the $items conversations (bench classify writes them as a set)"
"${guardrail[@]}" bench classify --model "$model" --requests "$items" --concurrency "$batch" --context 2048 --export-set "$work/set.jsonl" >/dev/null

say "guardrail serve on 127.0.0.1:$port ($batch sequences)"
"${guardrail[@]}" serve --model "$model" --port "$port" --parallel "$batch" --context 2048 --gpu-layers 0 >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break
    sleep 1
done

say "eval --remote: $items checks, $batch in flight"
"${guardrail[@]}" eval --remote "http://127.0.0.1:$port" --tokenizer "$model" --set "$work/set.jsonl" --batch "$batch" --context 2048 --out "$work/remote"
grep '^- Run:' "$work/remote/report.md"

say "eval --model (in process): the same $items checks"
"${guardrail[@]}" eval --model "$model" --set "$work/set.jsonl" --batch "$batch" --context 2048 --gpu-layers 0 --out "$work/local"
grep '^- Run:' "$work/local/report.md"
