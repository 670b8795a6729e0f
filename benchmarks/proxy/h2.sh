# The h2c section of benchmarks/proxy.sh (--h2, --h2-only). Sourced by it, after the HTTP/1.1 rounds: uses its
# work folder, pids, backend_port, model, duration, connections and free_port, and the start_gateway it sources from
# benchmarks/proxy/lib.sh. h2load drives every target with h2_clients connections of (connections / h2_clients)
# concurrent streams each, so that as many requests are in flight as in the wrk rounds, on fewer connections, as an
# HTTP/2 SDK would send them.

h2_clients=4
h2_streams=$(( connections / h2_clients > 0 ? connections / h2_clients : 1 ))
h2_backend_port="$(free_port)"; h2_nginx_port="$(free_port)"; h2_yarp_port="$(free_port)"; h2_gateway_port="$(free_port)"

# A second nginx: the h2c backend (the same answer as the HTTP/1.1 one) and an h2c front for nginx's own proxy.
mkdir -p "$work/nginx-h2"
cat >"$work/nginx-h2/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx-h2/nginx.pid;
error_log $work/nginx-h2/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  http2_max_concurrent_streams 256;
  # nginx closes an HTTP/2 connection (GOAWAY) after keepalive_requests (default 1000) requests; the requests then in
  # flight are retried by the client, which a proxy cannot do with a streamed body (502). Benchmarks keep connections.
  keepalive_requests 10000000;
  client_body_temp_path $work/nginx-h2/body; proxy_temp_path $work/nginx-h2/proxy;
  fastcgi_temp_path $work/nginx-h2/fcgi; uwsgi_temp_path $work/nginx-h2/uwsgi; scgi_temp_path $work/nginx-h2/scgi;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 64; }
  server {
    listen 127.0.0.1:$h2_backend_port http2;
    location / {
      default_type application/json;
      return 200 '{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"message":{"role":"assistant","content":"Spring in Paris is mild."},"finish_reason":"stop"}]}';
    }
  }
  server {
    listen 127.0.0.1:$h2_nginx_port http2;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -c "$work/nginx-h2/nginx.conf" -g 'daemon off;' &
pids+=($!)

start_gateway "$model" "$work/audit-h2.db" "http://127.0.0.1:$h2_backend_port" \
  ReverseProxy__Clusters__llm__HttpRequest__Version=2 ReverseProxy__Clusters__llm__HttpRequest__VersionPolicy=RequestVersionExact \
  Kestrel__Endpoints__h2c__Url="http://127.0.0.1:$h2_gateway_port" Kestrel__Endpoints__h2c__Protocols=Http2 &
pids+=($!)

dotnet benchmarks/Guardrail.BareYarp/bin/Release/net10.0/Guardrail.BareYarp.dll "http://127.0.0.1:$h2_backend_port" \
  --BareYarp:BackendH2c=true --Kestrel:Endpoints:h2c:Url="http://127.0.0.1:$h2_yarp_port" --Kestrel:Endpoints:h2c:Protocols=Http2 &
pids+=($!)

for _ in $(seq 1 120); do
  curl -sf --http2-prior-knowledge "http://127.0.0.1:$h2_gateway_port/readyz" >/dev/null \
    && curl -s --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$h2_yarp_port/" && break
  sleep 0.5
done
curl -sf --http2-prior-knowledge "http://127.0.0.1:$h2_gateway_port/readyz" >/dev/null || { echo "the h2c gateway did not become ready" >&2; exit 1; }

h2_body="$work/post-chat.json"
printf '%s' '{"model":"llama-3-8b","messages":[{"role":"user","content":"What is the weather like in Paris in spring?"}]}' >"$h2_body"

run_h2() {
  local name="$1" url="$2" args=(-t2 -c"$h2_clients" -m"$h2_streams" -d "$h2_body" -H 'content-type: application/json' -H "authorization: Bearer $GUARDRAIL_BENCH_KEY")
  # Warm up (JIT, connection pools, prefix cache), then measure.
  h2load "${args[@]}" -D 2 "$url" >/dev/null
  echo "== $name: $url"
  h2load "${args[@]}" -D "$duration" "$url" | grep -E "^finished|^requests:|^status codes:|^time for request:|^ +[0-9.]+(us|ms|s) " | head -n 5
}

echo "h2load: ${duration}s, $h2_clients connections x $h2_streams streams, 2 threads; h2c (prior knowledge) on every hop the target speaks"
for round in 1 2; do
  echo "#### h2c round $round"
  run_h2 direct-h2c "http://127.0.0.1:$h2_backend_port/v1/chat/completions"
  run_h2 nginx-h2c-to-http1 "http://127.0.0.1:$h2_nginx_port/v1/chat/completions"
  run_h2 bare-yarp-h2c "http://127.0.0.1:$h2_yarp_port/v1/chat/completions"
  run_h2 pass-through-h2c "http://127.0.0.1:$h2_gateway_port/plain/v1/chat/completions"
  run_h2 moderated-h2c "http://127.0.0.1:$h2_gateway_port/v1/chat/completions"
done
