# What benchmarks/proxy.sh and its h2c section (benchmarks/proxy/h2.sh) share. Sourced by proxy.sh, not run.

# start_gateway MODEL AUDIT-DB BACKEND-URL [NAME=VALUE...] [-- GATEWAY-ARGUMENTS...]: runs the built gateway in front
# of BACKEND-URL with MODEL as its classifier and the benchmark's key ($GUARDRAIL_BENCH_KEY), a moderated chat route
# (/v1/chat/completions) and a pass-through one (/plain/v1/chat/completions); NAME=VALUE adds settings. Start it in
# the background (`start_gateway ... &`): it replaces that background shell, so $! is the gateway's own pid.
start_gateway() {
  local model="$1" audit="$2" backend="$3" settings=()
  shift 3
  while [[ $# -gt 0 && "$1" != -- ]]; do settings+=("$1"); shift; done
  [[ $# -eq 0 ]] || shift
  cd src/Guardrail.Gateway/bin/Release/net10.0 || exit
  exec env Logging__LogLevel__Default=Warning \
  Guardrail__Auth__Keys__0__Id=bench Guardrail__Auth__Keys__0__Tenant=bench Guardrail__Auth__Keys__0__Key="$GUARDRAIL_BENCH_KEY" \
  Guardrail__Classifier__ModelPath="$model" Guardrail__Classifier__GpuLayers=0 \
  Guardrail__Audit__DatabasePath="$audit" \
  ReverseProxy__Routes__chat__ClusterId=llm ReverseProxy__Routes__chat__Match__Path=/v1/chat/completions \
  'ReverseProxy__Routes__chat__Metadata__Guardrail.Api=openai.chat' \
  ReverseProxy__Routes__plain__ClusterId=llm ReverseProxy__Routes__plain__Match__Path=/plain/v1/chat/completions \
  ReverseProxy__Routes__plain__Transforms__0__PathRemovePrefix=/plain \
  ReverseProxy__Clusters__llm__Destinations__main__Address="$backend" \
  "${settings[@]}" \
  dotnet Guardrail.Gateway.dll "$@"
}
