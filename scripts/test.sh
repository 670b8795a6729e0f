#!/usr/bin/env bash
# The README's test command: sets up everything the tests need, builds, runs every test project, and ends with
# one summary line. Safe to run again: each step skips what is already in place.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GUARDRAIL_ROOT"

require_dotnet
# Real components the tests use: gcc compiles the struct-layout probe against llama.h; git unpacks llama.cpp's release bundle.
# promtool and prometheus check and scrape the /metrics output; chromium runs the review page under Playwright;
# redis-server backs the shared verdict cache tests.
ensure_debian_packages gcc:gcc git:git promtool:prometheus chromium:chromium redis-server:redis-server pg_ctlcluster:postgresql docker-compose:docker-compose

if [[ -x scripts/native-runtime.sh ]]; then
    scripts/native-runtime.sh
fi

say "restoring and building (Release)"
dotnet build Guardrail.sln -c Release -nologo -clp:ErrorsOnly

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
say "running tests"
set +e
dotnet test Guardrail.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line over all test projects, e.g. "Tests: 120 passed, 0 failed, 0 skipped".
awk '
    /(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
        for (i = 1; i <= NF; i++) {
            if ($i == "Failed:") { gsub(",", "", $(i+1)); failed += $(i+1) }
            if ($i == "Passed:") { gsub(",", "", $(i+1)); passed += $(i+1) }
            if ($i == "Skipped:") { gsub(",", "", $(i+1)); skipped += $(i+1) }
        }
        projects++
    }
    END {
        printf "Test projects: %d\n", projects
        printf "Tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped
    }' "$log"
exit "$status"
