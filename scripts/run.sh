#!/usr/bin/env bash
# The README's run command: builds the gateway and runs it in the foreground, the whole job on one box.
#
#   scripts/run.sh            the default models (Llama Guard 3 1B as the classifier, Llama 3.2 1B Instruct as the
#                             built-in backend) from the models directory, pulled there first if missing
#   scripts/run.sh --demo     the same stack on the project's test models: a keyword guard and a scripted generator
#
# Anything configured wins: a classifier model (Guardrail__Classifier__ModelPath or --Guardrail:Classifier:ModelPath=...)
# is not pulled, and a backend of your own (Guardrail:LocalBackend:ModelPath, Guardrail:DefaultBackend or a
# ReverseProxy section) means no instruct model is pulled. Extra arguments go to the gateway (e.g. --urls
# http://0.0.0.0:8000). GUARDRAIL_CUDA=1 also installs the CUDA build of llama.cpp and lets the models use the GPU.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GUARDRAIL_ROOT"

demo=0
gateway_args=()
for arg in "$@"; do
    if [[ "$arg" == "--demo" ]]; then demo=1; else gateway_args+=("$arg"); fi
done

require_dotnet
if [[ "${GUARDRAIL_CUDA:-0}" == "1" ]]; then
    scripts/native-runtime.sh --cuda
else
    scripts/native-runtime.sh
fi

say "building the gateway and the guardrail command (Release)"
dotnet build src/Guardrail.Gateway -c Release -nologo -clp:ErrorsOnly
dotnet build src/Guardrail.Cli -c Release -nologo -clp:ErrorsOnly
guardrail() { dotnet "$GUARDRAIL_ROOT/src/Guardrail.Cli/bin/Release/net10.0/guardrail.dll" "$@"; }

# configured NAME: true when a Guardrail setting (NAME like Classifier:ModelPath) is given in the environment or on
# the command line; appsettings.json in the gateway's folder is the third place, and it ships without models.
configured() {
    local key="$1" env_name="Guardrail__${1//:/__}" arg
    [[ -n "${!env_name:-}" ]] && return 0
    for arg in "${gateway_args[@]}"; do
        [[ "$arg" == *"Guardrail:$key"* ]] && return 0
    done
    return 1
}
backend_configured() {
    configured LocalBackend:ModelPath || configured DefaultBackend && return 0
    [[ -n "$(compgen -e | grep '^ReverseProxy__' || true)" ]] && return 0
    local arg
    for arg in "${gateway_args[@]}"; do [[ "$arg" == *"ReverseProxy:"* ]] && return 0; done
    return 1
}

offline_help() {
    cat >&2 <<'TEXT'

Guardrail could not download its default models: this machine cannot reach Hugging Face (or the download was
refused; the lines above say which). Two ways forward:
  1. Use model files you already have: point the classifier at a Llama Guard 3 GGUF and the built-in backend at a
     Llama 3 instruct GGUF, e.g.
       scripts/run.sh --Guardrail:Classifier:ModelPath=/models/Llama-Guard-3-1B.Q4_K_M.gguf \
                      --Guardrail:LocalBackend:ModelPath=/models/Llama-3.2-1B-Instruct-Q4_K_M.gguf
     (or put them where 'guardrail model path --defaults' says, or keep your own backend with
     --Guardrail:DefaultBackend=http://host:port).
  2. Try the whole stack offline on the project's test models: scripts/run.sh --demo (its classifier is a
     keyword test fixture, not moderation).
TEXT
}

if [[ "$demo" == "1" ]]; then
    say "building the demo models (a keyword guard and a scripted generator)"
    demo_models="$(guardrail model synth --demo)"
    guard_model="$(sed -n 's/^guard=//p' <<<"$demo_models")"
    generator_model="$(sed -n 's/^generator=//p' <<<"$demo_models")"
    [[ -n "$guard_model" && -n "$generator_model" ]] || die "'guardrail model synth --demo' did not name both models: $demo_models"
    export Guardrail__Classifier__ModelPath="$guard_model"
    # The fixture's prompt lists every category (S1-S14, as for the 8B model); naming it keeps the log to what matters.
    export Guardrail__Classifier__Variant="${Guardrail__Classifier__Variant:-llama-guard-3-8b}"
    export Guardrail__LocalBackend__ModelPath="$generator_model"
    export Guardrail__LocalBackend__ModelId="${Guardrail__LocalBackend__ModelId:-demo-scripted-generator}"
    export Guardrail__Audit__DatabasePath="${Guardrail__Audit__DatabasePath:-$GUARDRAIL_ROOT/data/demo-audit.db}"
    cat >&2 <<'TEXT'
================================================================================================================
  DEMO MODE. The classifier is the project's KEYWORD TEST FIXTURE, not Llama Guard and not moderation: it flags a
  few fixed words and nothing else. The backend is a scripted generator that answers fixed sentences. Use this to
  try the gateway, the audit log and the review page; never to protect anything.
  Try: a prompt with the word "bomb" (blocked on the way in), or with "dragon" (the generator answers a sentence
  with "bomb" in it, blocked on the way out); anything else gets the fox sentence.
================================================================================================================
TEXT
else
    wanted=()
    configured Classifier:ModelPath || wanted+=(guard)
    backend_configured || wanted+=(instruct)
    if [[ ${#wanted[@]} -gt 0 ]]; then
        mapfile -t default_paths < <(guardrail model path --defaults || true)
        [[ ${#default_paths[@]} -eq 2 ]] || die "'guardrail model path --defaults' did not print two paths"
        missing=()
        for role in "${wanted[@]}"; do
            if [[ "$role" == guard ]]; then path="${default_paths[0]}"; else path="${default_paths[1]}"; fi
            [[ -f "$path" ]] || missing+=("$role")
        done
        if [[ ${#missing[@]} -gt 0 ]]; then
            say "first run: pulling the default models into $(dirname "${default_paths[0]}") (resumable; Ctrl+C keeps what has arrived)"
            set +e
            guardrail model pull --defaults
            pulled=$?
            set -e
            if [[ $pulled -ne 0 ]]; then
                offline_help
                exit "$pulled"
            fi
        fi
        for role in "${wanted[@]}"; do
            if [[ "$role" == guard ]]; then
                export Guardrail__Classifier__ModelPath="${default_paths[0]}"
            else
                export Guardrail__LocalBackend__ModelPath="${default_paths[1]}"
            fi
        done
    fi
fi

# Defaults for a checkout: the repository's policies (edits are picked up live), the audit log under data/, and,
# with no keys configured, a generated development client key and admin key (the start-up log prints them).
export Guardrail__Policies__Directory="${Guardrail__Policies__Directory:-$GUARDRAIL_ROOT/policies}"
export Guardrail__Policies__TaxonomyDirectory="${Guardrail__Policies__TaxonomyDirectory:-$GUARDRAIL_ROOT/taxonomy}"
export Guardrail__Audit__DatabasePath="${Guardrail__Audit__DatabasePath:-$GUARDRAIL_ROOT/data/audit.db}"
export Guardrail__Auth__DevelopmentKeyFile="${Guardrail__Auth__DevelopmentKeyFile:-$GUARDRAIL_ROOT/.cache/dev-gateway-key}"
export Guardrail__Auth__DevelopmentAdminKeyFile="${Guardrail__Auth__DevelopmentAdminKeyFile:-$GUARDRAIL_ROOT/.cache/dev-admin-key}"
if [[ "${GUARDRAIL_CUDA:-0}" != "1" ]]; then
    # Only the CPU runtime is installed: say so, instead of a GPU-fallback warning per model.
    export Guardrail__Classifier__GpuLayers="${Guardrail__Classifier__GpuLayers:-0}"
    export Guardrail__LocalBackend__GpuLayers="${Guardrail__LocalBackend__GpuLayers:-0}"
fi
say "starting the gateway (Ctrl+C stops it); the base URL, the development keys and the review page's URL follow"
cd src/Guardrail.Gateway
exec dotnet bin/Release/net10.0/Guardrail.Gateway.dll "${gateway_args[@]}"
