#!/usr/bin/env bash
# The README's run command: builds the gateway and runs it in the foreground. Extra arguments go to the gateway
# (e.g. --urls http://0.0.0.0:8000, or configuration overrides such as --Guardrail:DefaultBackend=http://host:8000).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GUARDRAIL_ROOT"

require_dotnet
if [[ -x scripts/native-runtime.sh ]]; then
    scripts/native-runtime.sh
fi

say "building the gateway (Release)"
dotnet build src/Guardrail.Gateway -c Release -nologo -clp:ErrorsOnly

# With no gateway keys configured, the gateway generates a local development key into this file (and says so
# in its log and in /readyz). Configured keys (Guardrail:Auth:Keys) take its place.
export Guardrail__Auth__DevelopmentKeyFile="${Guardrail__Auth__DevelopmentKeyFile:-$GUARDRAIL_ROOT/.cache/dev-gateway-key}"
say "starting the gateway (Ctrl+C stops it); a generated development key, if any, is in $Guardrail__Auth__DevelopmentKeyFile"
cd src/Guardrail.Gateway
exec dotnet bin/Release/net10.0/Guardrail.Gateway.dll "$@"
