#!/usr/bin/env bash
# The README's run command: builds the gateway and runs it in the foreground. Extra arguments go to the gateway
# (e.g. --urls http://0.0.0.0:8000, or configuration overrides such as --Guardrail:Classifier:ModelPath=/models/llama-guard-3-1b.gguf).
# GUARDRAIL_CUDA=1 also installs the CUDA build of llama.cpp and lets the classifier use the GPU.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GUARDRAIL_ROOT"

require_dotnet
if [[ "${GUARDRAIL_CUDA:-0}" == "1" ]]; then
    scripts/native-runtime.sh --cuda
else
    scripts/native-runtime.sh
fi

say "building the gateway (Release)"
dotnet build src/Guardrail.Gateway -c Release -nologo -clp:ErrorsOnly

# Defaults for a checkout: the repository's policies (edits are picked up live), the audit log under data/, and,
# with no gateway keys configured, a generated local development key (the log and /readyz say so).
export Guardrail__Policies__Directory="${Guardrail__Policies__Directory:-$GUARDRAIL_ROOT/policies}"
export Guardrail__Policies__TaxonomyDirectory="${Guardrail__Policies__TaxonomyDirectory:-$GUARDRAIL_ROOT/taxonomy}"
export Guardrail__Audit__DatabasePath="${Guardrail__Audit__DatabasePath:-$GUARDRAIL_ROOT/data/audit.db}"
export Guardrail__Auth__DevelopmentKeyFile="${Guardrail__Auth__DevelopmentKeyFile:-$GUARDRAIL_ROOT/.cache/dev-gateway-key}"
say "starting the gateway (Ctrl+C stops it); a generated development key, if any, is in $Guardrail__Auth__DevelopmentKeyFile"
cd src/Guardrail.Gateway
exec dotnet bin/Release/net10.0/Guardrail.Gateway.dll "$@"
