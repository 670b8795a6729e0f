#!/usr/bin/env bash
# Classifier benchmark (issue 6): our engine with and without prefix reuse, and node-llama-cpp on the very same
# prompt tokens and the same llama.cpp release, on a shape-faithful random Llama Guard 3 1B model.
# Usage: benchmarks/classify.sh [model.gguf] [requests] [levels]
# Numbers, not a test: nothing here runs in CI. Results go in docs/BENCHMARKS.md with the command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"

requests="${2:-32}"
levels="${3:-1,4,16}"
source "$GUARDRAIL_ROOT/benchmarks/lib.sh"

model="${1:-$GUARDRAIL_ROOT/.cache/bench/llama-guard-3-1b-q4_k_m.gguf}"
bench_model "$model" "Llama Guard 3 1B shape, random weights, Q4_K_M" --preset llama-guard-3-1b --quant Q4_K_M

prompts="$(mktemp --suffix=.jsonl)"
trap 'rm -f "$prompts"' EXIT
say "guardrail engine, prefix reuse on"
"${guardrail[@]}" bench classify --model "$model" --requests "$requests" --concurrency "$levels" --export-prompts "$prompts"
say "guardrail engine, prefix reuse off"
"${guardrail[@]}" bench classify --model "$model" --requests "$requests" --concurrency "$levels" --no-prefix-reuse
say "node-llama-cpp 3.22.1 (same llama.cpp release), whole prompts"
(cd benchmarks/node-llama-cpp && npm install --no-audit --no-fund --silent >/dev/null)
node benchmarks/node-llama-cpp/classify-bench.mjs "$model" "$prompts" "$levels"
