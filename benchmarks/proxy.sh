#!/usr/bin/env bash
# Proxy benchmark (issue 5): requests per second and latency with wrk on loopback, side by side in one run:
#   direct      -> a fast backend (nginx answering a fixed chat completion)
#   nginx       -> nginx proxy_pass to that backend
#   bare YARP   -> YARP 2.3.0 alone, one catch-all route (benchmarks/Guardrail.BareYarp): the gateway's yardstick
#   pass-through -> the gateway on a route without moderation
#   moderated   -> the gateway on a moderated chat route (the keyword-guard test model; prompt and response checked)
# Every target is measured twice, in two rounds (the machine is noisy; report both).
# With --h2 (after them) or --h2-only (instead of them), the same targets over h2c with h2load: an nginx h2c backend
# (`listen ... http2` on plain text takes HTTP/2 with prior knowledge), nginx in front of the HTTP/1.1 backend (nginx
# proxies only in HTTP/1.x, so its row is h2c in and HTTP/1.1 out), and bare YARP and a second gateway with h2c
# listeners speaking h2c to the h2c backend (YARP's HttpRequest: Version 2, RequestVersionExact).
# Usage: benchmarks/proxy.sh [seconds] [connections] [--h2|--h2-only]. Numbers, not a test; results go in docs/BENCHMARKS.md.
#        benchmarks/proxy.sh --profile pass-through|moderated [seconds] [connections]: instead of the rounds, drives
#        that gateway route with wrk while dotnet-trace samples the gateway (thread time and allocations) and
#        dotnet-counters records its runtime counters; both files go to .cache/profile/ (open the .nettrace in
#        PerfView, or convert it with `dotnet-trace convert --format Speedscope`; the counters are CSV), and prints
#        the gateway's allocations and CPU time per request over the run.
#        benchmarks/proxy.sh --measure pass-through|moderated ...: the same without dotnet-trace (its sampling costs
#        CPU), for per-request figures undisturbed by the profiler.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/proxy/lib.sh"
cd "$GUARDRAIL_ROOT"

profile=""
trace=false
if [[ "${1:-}" == "--profile" || "${1:-}" == "--measure" ]]; then
    [[ "$1" == "--profile" ]] && trace=true
    profile="${2:?$1 needs a route: pass-through or moderated}"
    [[ "$profile" == pass-through || "$profile" == moderated ]] || { echo "$1 takes pass-through or moderated, not '$profile'" >&2; exit 2; }
    shift 2
    for tool in dotnet-trace dotnet-counters; do
        command -v "$tool" >/dev/null || [[ -x "$HOME/.dotnet/tools/$tool" ]] || dotnet tool install -g "$tool" >/dev/null
    done
    export PATH="$PATH:$HOME/.dotnet/tools"
fi

duration="${1:-10}"
connections="${2:-32}"
# wrk needs at least one connection per thread: one connection runs on one thread.
threads=$(( connections < 2 ? connections : 2 ))
h2="${3:-}"
[[ -z "$h2" || "$h2" == --h2 || "$h2" == --h2-only ]] || die "unknown argument '$h2' (expected --h2 or --h2-only)"
ensure_debian_packages nginx:nginx wrk:wrk
[[ -z "$h2" ]] || ensure_debian_packages h2load:nghttp2-client
scripts/native-runtime.sh >/dev/null
dotnet build src/Guardrail.Gateway -c Release -nologo -clp:ErrorsOnly
dotnet build src/Guardrail.Cli -c Release -nologo -clp:ErrorsOnly
dotnet build benchmarks/Guardrail.BareYarp -c Release -nologo -clp:ErrorsOnly

work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
backend_port="$(free_port)"; nginx_port="$(free_port)"; gateway_port="$(free_port)"; yarp_port="$(free_port)"

# One nginx serves both the fast backend and the nginx reverse proxy in front of it.
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 64; }
  server {
    listen 127.0.0.1:$backend_port;
    location / {
      default_type application/json;
      return 200 '{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"message":{"role":"assistant","content":"Spring in Paris is mild."},"finish_reason":"stop"}]}';
    }
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)

model="$(dotnet src/Guardrail.Cli/bin/Release/net10.0/guardrail.dll model synth --keyword-guard "bomb=S1" --out "$work/guard.gguf" >/dev/null && echo "$work/guard.gguf")"
export GUARDRAIL_BENCH_KEY="gk-bench-0123456789abcdef"
start_gateway "$model" "$work/audit.db" "http://127.0.0.1:$backend_port" -- --urls "http://127.0.0.1:$gateway_port" &
gateway_pid=$!
pids+=($gateway_pid)

dotnet benchmarks/Guardrail.BareYarp/bin/Release/net10.0/Guardrail.BareYarp.dll "http://127.0.0.1:$backend_port" --urls "http://127.0.0.1:$yarp_port" &
pids+=($!)

for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$gateway_port/readyz" >/dev/null && curl -s -o /dev/null "http://127.0.0.1:$yarp_port/" && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$gateway_port/readyz" >/dev/null || { echo "the gateway did not become ready" >&2; exit 1; }

run() {
  local name="$1" url="$2"
  # Warm up (JIT, connection pools, prefix cache), then measure.
  wrk -t"$threads" -c"$connections" -d2s -s benchmarks/proxy/post-chat.lua "$url" >/dev/null
  echo "== $name: $url"
  wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s --latency -s benchmarks/proxy/post-chat.lua "$url" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
}

if [[ -n "$profile" ]]; then
    url="http://127.0.0.1:$gateway_port/v1/chat/completions"
    [[ "$profile" == pass-through ]] && url="http://127.0.0.1:$gateway_port/plain/v1/chat/completions"
    out="$GUARDRAIL_CACHE_DIR/profile"
    mkdir -p "$out"
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    # Warm up long enough for tiered compilation to finish, then sample the steady state only.
    wrk -t"$threads" -c"$connections" -d10s -s benchmarks/proxy/post-chat.lua "$url" >/dev/null
    counters="$out/$profile-$stamp.counters.csv"
    dotnet-counters collect -p "$gateway_pid" --format csv -o "$counters" --duration "00:00:$(printf %02d "$duration")" \
        --counters System.Runtime >/dev/null &
    collectors=($!)
    if $trace; then
        dotnet-trace collect -p "$gateway_pid" --profile dotnet-sampled-thread-time,gc-verbose --duration "00:00:00:$(printf %02d "$duration")" \
            -o "$out/$profile-$stamp.nettrace" >/dev/null &
        collectors+=($!)
    fi
    wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s --latency -s benchmarks/proxy/post-chat.lua "$url" | tee "$out/$profile-$stamp.wrk.txt" \
        | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
    wait "${collectors[@]}" || true
    # Per request: the counters' per-second allocation and CPU rates summed over the run, over wrk's request count.
    requests="$(awk '/requests in/ { print $1 }' "$out/$profile-$stamp.wrk.txt")"
    awk -F, -v requests="$requests" '
        $3 ~ /^dotnet.gc.heap.total_allocated/ { allocated += $5 }
        $3 ~ /^dotnet.process.cpu.time/ { cpu += $5 }
        END { printf "per request: %.1f KiB allocated, %.3f ms CPU (%d requests; counters over the run)\n", allocated / requests / 1024, cpu * 1000 / requests, requests }' "$counters"
    $trace && echo "profile: $out/$profile-$stamp.nettrace"
    echo "counters: $counters"
    exit 0
fi

[[ "$h2" == --h2-only ]] || {
echo "wrk: ${duration}s, $connections connections, $threads threads; $(nproc) cores"
for round in 1 2; do
  echo "#### round $round"
  run direct "http://127.0.0.1:$backend_port/v1/chat/completions"
  run nginx "http://127.0.0.1:$nginx_port/v1/chat/completions"
  run bare-yarp "http://127.0.0.1:$yarp_port/v1/chat/completions"
  run pass-through "http://127.0.0.1:$gateway_port/plain/v1/chat/completions"
  run moderated "http://127.0.0.1:$gateway_port/v1/chat/completions"
done
}

[[ -n "$h2" ]] || exit 0
source benchmarks/proxy/h2.sh
