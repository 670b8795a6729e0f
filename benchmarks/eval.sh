#!/usr/bin/env bash
# `guardrail eval` next to `guardrail bench classify` on the very same conversations (issue 18): the evaluation should
# add no cost of its own to the classifier's. Shape-faithful random Llama Guard 3 1B model by default.
# Usage: benchmarks/eval.sh [model.gguf] [items] [batch]
# Numbers, not a test: nothing here runs in CI. Results go in docs/BENCHMARKS.md with the command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"

items="${2:-1000}"
batch="${3:-8}"
source "$GUARDRAIL_ROOT/benchmarks/lib.sh"

model="${1:-$GUARDRAIL_ROOT/.cache/bench/llama-guard-3-1b-q4_k_m.gguf}"
bench_model "$model" "Llama Guard 3 1B shape, random weights, Q4_K_M" --preset llama-guard-3-1b --quant Q4_K_M

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
say "bench classify: $items checks, $batch at a time (its conversations written as a set)"
"${guardrail[@]}" bench classify --model "$model" --requests "$items" --concurrency "$batch" --context 1024 --export-set "$work/set.jsonl"
say "eval: the same $items conversations, batch $batch"
report="$GUARDRAIL_ROOT/.cache/bench/eval-report"
"${guardrail[@]}" eval --model "$model" --set "$work/set.jsonl" --batch "$batch" --context 1024 --gpu-layers 0 --out "$report"
# Wall time and llama.cpp's share of it, beside bench's 'outside llama_decode ms' above.
grep '^- Run:' "$report/report.md"
