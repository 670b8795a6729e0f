# Shared steps of the benchmark scripts. Sourced, not run: after scripts/lib.sh, it builds the CLI and defines
# `guardrail` (the built command) and `bench_model` (a synthesized model, written once into the cache).

require_dotnet
scripts/native-runtime.sh >/dev/null
dotnet build src/Guardrail.Cli -c Release -nologo -clp:ErrorsOnly
guardrail=(dotnet src/Guardrail.Cli/bin/Release/net10.0/guardrail.dll)

# bench_model PATH DESCRIPTION SYNTH-ARGS...: writes PATH with `guardrail model synth SYNTH-ARGS --out PATH` unless it
# is already there.
bench_model() {
    local path="$1" description="$2"
    shift 2
    if [[ ! -f "$path" ]]; then
        say "writing $path ($description)"
        mkdir -p "$(dirname "$path")"
        "${guardrail[@]}" model synth "$@" --out "$path"
    fi
}
