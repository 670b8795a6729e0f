#!/usr/bin/env bash
# Fuzzing (issue 21): runs one target of benchmarks/Guardrail.Fuzz under AFL++ for MINUTES minutes, starting from the
# committed seed corpus benchmarks/fuzz/corpus/TARGET/, and prints what afl-fuzz reports at the end (executions,
# execs/s, corpus paths, crashes, hangs). Findings stay in .cache/fuzz/TARGET/ (not committed); a crash found becomes
# a regression test (see docs/BENCHMARKS.md, "Fuzzing"). Numbers, not a test: not run in CI.
# Usage: benchmarks/fuzz.sh TARGET MINUTES
#   TARGET: openai-request | sse | response | policy | taxonomy | gguf
# Reproduce a finding in process with the uninstrumented build (the instrumented one runs only under afl-fuzz):
#   dotnet build benchmarks/Guardrail.Fuzz -c Release && dotnet benchmarks/Guardrail.Fuzz/bin/Release/net10.0/Guardrail.Fuzz.dll TARGET FILE...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"

targets="openai-request sse response policy taxonomy gguf"
target="${1:-}"
minutes="${2:-}"
[[ " $targets " == *" $target "* && "$minutes" =~ ^[0-9]+$ && "$minutes" -gt 0 ]] \
    || die "usage: benchmarks/fuzz.sh TARGET MINUTES (TARGET: ${targets// /, })"
corpus="benchmarks/fuzz/corpus/$target"
[[ -d "$corpus" ]] || die "no seed corpus at $corpus"

require_dotnet
ensure_debian_packages afl-fuzz:afl++

# SharpFuzz's instrumenter, pinned to the version of the SharpFuzz package the harness references.
tools="$GUARDRAIL_ROOT/.cache/fuzz/tools"
if [[ ! -x "$tools/sharpfuzz" ]]; then
    say "installing the SharpFuzz.CommandLine 2.3.0 dotnet tool in $tools"
    dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

work="$GUARDRAIL_ROOT/.cache/fuzz/$target"
mkdir -p "$work"
# One instrumented build serves every target; it is rebuilt when a source it is made of changed since.
harness="$GUARDRAIL_ROOT/.cache/fuzz/harness"
stamp="$harness/.instrumented"
sources=(benchmarks/Guardrail.Fuzz src/Guardrail.Core src/Guardrail.LlamaCpp src/Guardrail.ModelSynthesis Directory.Packages.props policies taxonomy)
if [[ ! -f "$stamp" ]] || [[ -n "$(find "${sources[@]}" -newer "$stamp" -type f ! -path '*/bin/*' ! -path '*/obj/*' -print -quit)" ]]; then
    rm -rf "$harness"
    say "publishing the harness to $harness"
    dotnet publish benchmarks/Guardrail.Fuzz -c Release -o "$harness" -nologo -clp:ErrorsOnly >/dev/null
    # Coverage comes from the assemblies under test (and the YAML parser the loaders drive); the harness itself
    # and SharpFuzz stay uninstrumented.
    for assembly in Guardrail.Core Guardrail.LlamaCpp YamlDotNet; do
        "$tools/sharpfuzz" "$harness/$assembly.dll" >/dev/null
    done
    touch "$stamp"
fi

out="$work/out"
if [[ -d "$out" ]]; then
    previous="$work/out.$(date -u +%Y%m%dT%H%M%SZ)"
    say "keeping the previous run's findings in $previous"
    mv "$out" "$previous"
fi

# The sandbox has no CPU frequency governor, no core dumps to wait for and cores shared with others; dotnet itself is
# not instrumented (the instrumented assemblies report coverage through SharpFuzz's fork server). A heap cap turns
# a runaway allocation into an OutOfMemoryException, which is a crash.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
export DOTNET_GCHeapHardLimit=0x40000000 DOTNET_TieredPGO=0
say "fuzzing '$target' for $minutes minute(s); findings go to $out"
afl-fuzz -i "$corpus" -o "$out" -t 10000 -m none -V "$((minutes * 60))" \
    -- dotnet "$harness/Guardrail.Fuzz.dll" "$target" >"$work/afl.log" 2>&1 || {
    tail -n 30 "$work/afl.log" >&2
    die "afl-fuzz failed (full log: $work/afl.log)"
}

stats="$out/default/fuzzer_stats"
[[ -f "$stats" ]] || die "afl-fuzz wrote no $stats (log: $work/afl.log)"
stat() { awk -F' *: *' -v key="$1" '$1 == key { print $2 }' "$stats"; }
runtime="$(stat run_time)"
execs="$(stat execs_done)"
printf 'target:        %s\n' "$target"
printf 'date:          %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
printf 'run time:      %s s\n' "$runtime"
printf 'executions:    %s\n' "$execs"
printf 'execs/s:       %s (average over the run)\n' "$(awk -v e="$execs" -v t="$runtime" 'BEGIN { printf "%.0f", (t > 0 ? e / t : 0) }')"
printf 'corpus paths:  %s (from %s seeds)\n' "$(stat corpus_count)" "$(find "$corpus" -type f | wc -l)"
printf 'edges found:   %s (%s of the map)\n' "$(stat edges_found)" "$(stat bitmap_cvg)"
printf 'crashes:       %s\n' "$(stat saved_crashes)"
printf 'hangs:         %s\n' "$(stat saved_hangs)"
for kind in crashes hangs; do
    find "$out/default/$kind" -type f -name 'id:*' 2>/dev/null | sed "s|^|$kind: |"
done
