# Shared setup steps for the README's two commands. Sourced, not run. Every step is idempotent.

GUARDRAIL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GUARDRAIL_ROOT
# The llama.cpp runtime, the Llama 3 vocabulary and synthesized test models live in the checkout's .cache unless
# GUARDRAIL_CACHE_DIR names another folder; the gateway, the CLI and the tests find them through this variable.
export GUARDRAIL_CACHE_DIR="${GUARDRAIL_CACHE_DIR:-$GUARDRAIL_ROOT/.cache}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_dotnet() {
    command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is not installed: see https://learn.microsoft.com/dotnet/core/install/linux-debian (apt-get install dotnet-sdk-10.0 once Microsoft's package feed is set up)."
    local major
    major="$(dotnet --version 2>/dev/null | cut -d. -f1)"
    [[ "${major:-0}" -ge 10 ]] || die "the .NET SDK is $(dotnet --version); Guardrail needs 10.0 or later."
}

# ensure_debian_packages CMD:PACKAGE ... installs each PACKAGE whose CMD is missing. As root it runs apt-get;
# otherwise it prints the exact command and fails, so that nothing is half set up.
ensure_debian_packages() {
    local missing=() pair cmd pkg
    for pair in "$@"; do
        cmd="${pair%%:*}"
        pkg="${pair#*:}"
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ "$(id -u)" -ne 0 ]]; then
        die "missing Debian packages: ${missing[*]}. Install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    fi
    say "installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
