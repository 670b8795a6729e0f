#!/usr/bin/env bash
# Generation benchmark (issue 14): the built-in backend's engine (continuous batching) next to node-llama-cpp 3.22.1
# (same llama.cpp release) generating the same number of tokens from the same prompt tokens, on a shape-faithful
# random Llama 3.2 1B model, with llama.cpp's own prefill and decode rates from the same run.
# Usage: benchmarks/generate.sh [Q4_K_M|Q8_0] [levels] [tokens] [threads]
# Numbers, not a test: nothing here runs in CI. Results go in docs/BENCHMARKS.md with the command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"

quant="${1:-Q4_K_M}"
levels="${2:-1,4,16}"
tokens="${3:-128}"
threads="${4:-2}"
source "$GUARDRAIL_ROOT/benchmarks/lib.sh"

cache="${GUARDRAIL_CACHE_DIR:-$GUARDRAIL_ROOT/.cache}"
model="$cache/bench/llama-3.2-1b-${quant,,}.gguf"
bench_model "$model" "Llama 3.2 1B shape, random weights, $quant" --preset llama-3.2-1b --quant "$quant"

prompt="$(mktemp --suffix=.json)"
trap 'rm -f "$prompt"' EXIT
say "guardrail generation engine (continuous batching)"
"${guardrail[@]}" bench generate --model "$model" --concurrency "$levels" --tokens "$tokens" --threads "$threads" --export-prompt "$prompt"
say "node-llama-cpp 3.22.1 (same llama.cpp release), same prompt tokens"
(cd benchmarks/node-llama-cpp && npm install --no-audit --no-fund --silent >/dev/null)
node benchmarks/node-llama-cpp/generate-bench.mjs "$model" "$prompt" "$levels" "$tokens" "$threads"
