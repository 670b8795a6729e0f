#!/usr/bin/env bash
# Soak run (issue 21): the gateway (Release build, keyword guard model, SQLite audit) in front of a fake backend
# (benchmarks/soak/backend.py) under a steady, modest mix for MINUTES: safe chats, blocked prompts, blocked responses,
# safe streams, streams the gateway cuts, streams the client abandons mid-way, and 1% malformed bodies
# (benchmarks/soak/driver.py). Every 10 s it samples RSS, threads and open handles (/proc) and the GC heap, classifier
# queue and audit queue (/metrics). At the end it checks every blocked decision the driver saw is in the audit log
# (`guardrail audit export --action block`), draws samples.csv (benchmarks/Guardrail.SoakPlot) and prints the table.
# Goal: memory flat after warm-up (RSS under 5% growth from warm-up end to the end), no error beyond the expected
# refusals, every blocked decision audited. Exits 1 when one of those fails.
# Usage: benchmarks/soak.sh MINUTES [RATE per second, default 30] [OUT_DIR]
# Numbers, not a test: nothing here runs in CI. Results go in docs/BENCHMARKS.md with the command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"

minutes="${1:?usage: benchmarks/soak.sh MINUTES [RATE] [OUT_DIR]}"
rate="${2:-30}"
cache="$GUARDRAIL_ROOT/.cache"
out="${3:-$cache/soak/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
source "$GUARDRAIL_ROOT/benchmarks/lib.sh"
dotnet build src/Guardrail.Gateway -c Release -nologo -clp:ErrorsOnly
dotnet build benchmarks/Guardrail.SoakPlot -c Release -nologo -clp:ErrorsOnly

# The run uses copies of the builds, so that building in this checkout while it runs cannot swap files under it.
rm -rf "$out/bin"; mkdir -p "$out/bin"
cp -r src/Guardrail.Gateway/bin/Release/net10.0 "$out/bin/gateway"
cp -r src/Guardrail.Cli/bin/Release/net10.0 "$out/bin/cli"
cp -r benchmarks/Guardrail.SoakPlot/bin/Release/net10.0 "$out/bin/plot"
guardrail=(dotnet "$out/bin/cli/guardrail.dll")

model="$cache/bench/keyword-guard.gguf"
bench_model "$model" "the keyword guard (bomb=S1, violin=S10)" --keyword-guard "bomb=S1,violin=S10"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
backend_port="$(free_port)"; gateway_port="$(free_port)"
client_key="gk-soak-0123456789abcdef"; admin_key="ak-soak-0123456789abcdef"
backend_pid=""; gateway_pid=""
cleanup() {
    for pid in $gateway_pid $backend_pid; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

python3 benchmarks/soak/backend.py "$backend_port" &
backend_pid=$!

say "gateway on 127.0.0.1:$gateway_port, backend on 127.0.0.1:$backend_port, results in $out"
rm -f "$out"/audit.db*
env Logging__LogLevel__Default=Warning \
    Guardrail__Auth__Keys__0__Id=soak Guardrail__Auth__Keys__0__Tenant=soak Guardrail__Auth__Keys__0__Key="$client_key" \
    Guardrail__Auth__AdminKeys__0__Id=admin Guardrail__Auth__AdminKeys__0__Key="$admin_key" \
    Guardrail__Classifier__ModelPath="$model" Guardrail__Classifier__GpuLayers=0 Guardrail__Classifier__Variant=llama-guard-3-8b \
    Guardrail__Audit__DatabasePath="$out/audit.db" \
    ReverseProxy__Routes__chat__ClusterId=llm ReverseProxy__Routes__chat__Match__Path=/v1/chat/completions \
    'ReverseProxy__Routes__chat__Metadata__Guardrail.Api=openai.chat' \
    ReverseProxy__Clusters__llm__Destinations__main__Address="http://127.0.0.1:$backend_port" \
    dotnet "$out/bin/gateway/Guardrail.Gateway.dll" --urls "http://127.0.0.1:$gateway_port" \
    >"$out/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 180); do
    curl -sf "http://127.0.0.1:$gateway_port/readyz" >/dev/null && break
    kill -0 "$gateway_pid" 2>/dev/null || die "the gateway exited: $(tail -5 "$out/gateway.log")"
    sleep 1
done
curl -sf "http://127.0.0.1:$gateway_port/readyz" >/dev/null || die "the gateway did not become ready"

say "driving $rate requests/s for $minutes minutes; load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >"$out/machine.txt"
python3 benchmarks/soak/driver.py "http://127.0.0.1:$gateway_port" "$gateway_pid" "$client_key" "$admin_key" \
    "$((minutes * 60))" "$rate" "$out" >"$out/driver.log"
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

# Stop the gateway the way Kubernetes does (SIGTERM: it drains), then read what the audit log holds.
kill -TERM "$gateway_pid"; wait "$gateway_pid" || true; gateway_pid=""
"${guardrail[@]}" audit export --db "$out/audit.db" --action block --format jsonl --output "$out/audit-blocked.jsonl"
warmup="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["warmup_s"])' "$out/summary.json")"
dotnet "$out/bin/plot/Guardrail.SoakPlot.dll" "$out/samples.csv" "$out/soak.png" "$warmup" \
    "Gateway soak: $minutes min at $rate req/s"
status=0
python3 benchmarks/soak/report.py "$out" || status=$?
rm -rf "$out/bin"
exit "$status"
