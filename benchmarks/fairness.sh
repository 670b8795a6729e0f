#!/usr/bin/env bash
# Fairness benchmark (issue 16): tenant A floods the in-process classifier at ten times what it can check, tenant B
# sends one check at a time at a tenth of it; B's check latency p50/p99 and failures with A quiet and flooding,
# through the fair queue and through one FIFO queue. Uses the keyword-guard test model.
# Usage: benchmarks/fairness.sh [light checks]. Numbers, not a test; results go in docs/BENCHMARKS.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"

source "$GUARDRAIL_ROOT/benchmarks/lib.sh"

model="$GUARDRAIL_ROOT/.cache/bench/keyword-guard-fairness.gguf"
bench_model "$model" "the keyword guard" --keyword-guard "bomb=S1,violin=S10"

"${guardrail[@]}" bench fairness --model "$model" --light-checks "${1:-30}"
