# Guardrail gateway image. Build: docker build -t guardrail .   Run: docker run -p 8000:8000 -e ... guardrail
# The `guardrail` command is in the image too (/app/cli, launcher /usr/local/bin/guardrail), for example
#   docker run --entrypoint guardrail guardrail serve --model /models/guard.gguf --host 0.0.0.0
# (deploy/kubernetes/overlays/remote-classifier runs it as the classifier pool).
# CUDA variant: docker build --target cuda -t guardrail:cuda .   Run: docker run --gpus all ... guardrail:cuda
# The build stages need NuGet and npm (for the pinned llama.cpp runtimes); the runtime stages need neither.
FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm git gcc && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/native-runtime.sh \
 && dotnet publish src/Guardrail.Gateway/Guardrail.Gateway.csproj -c Release -o /app \
 && dotnet publish src/Guardrail.Cli/Guardrail.Cli.csproj -c Release -o /app/cli \
 && mkdir -p /app/bin && printf '#!/bin/sh\nexec dotnet /app/cli/guardrail.dll "$@"\n' >/app/bin/guardrail && chmod 755 /app/bin/guardrail \
 && mkdir -p /app/native && cp -r .cache/llama/runtime /app/native/

# The llama.cpp CUDA build from the pinned npm package (@node-llama-cpp/linux-x64-cuda), beside the CPU one.
FROM build AS build-cuda
RUN scripts/native-runtime.sh --cuda && cp -r .cache/llama/runtime/cuda /app/native/runtime/

# CUDA runtime image: NVIDIA's CUDA runtime (libcudart, libcublas) with the ASP.NET Core runtime copied in. The host
# needs the NVIDIA driver and container toolkit (docker run --gpus all; on Kubernetes the device plugin).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS aspnet-noble
FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04 AS cuda
RUN apt-get update && apt-get install -y --no-install-recommends libicu74 ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1654 --user-group --no-create-home --home-dir /app app
COPY --from=aspnet-noble /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build-cuda /app /app
RUN ln -s /app/bin/guardrail /usr/local/bin/guardrail
# The management listener serves /healthz and /readyz for the health check and the orchestrator's probes.
ENV Urls=http://0.0.0.0:8000 \
    GUARDRAIL_LLAMA_RUNTIME_DIR=/app/native/runtime/cuda \
    Guardrail__Metrics__ManagementUrl=http://0.0.0.0:9464 \
    Guardrail__Classifier__GpuLayers=-1
EXPOSE 8000
EXPOSE 9464
RUN mkdir -p /app/data && chown app /app/data
VOLUME /app/data
USER app
# Ready means the classifier model is loaded on the GPU and the audit store is open; bash's /dev/tcp needs no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "/app/Guardrail.Gateway.dll"]

# CPU image, the default target (last stage).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-bookworm-slim AS cpu
WORKDIR /app
COPY --from=build /app /app
RUN ln -s /app/bin/guardrail /usr/local/bin/guardrail
# Listen on all interfaces inside the container; the native runtime lives beside the app.
ENV Urls=http://0.0.0.0:8000 \
    GUARDRAIL_LLAMA_RUNTIME_DIR=/app/native/runtime/cpu
EXPOSE 8000
# The audit log (Guardrail:Audit:DatabasePath, default data/audit.db under the app folder) needs a writable volume.
RUN mkdir -p /app/data && chown app /app/data
VOLUME /app/data
USER app
ENTRYPOINT ["dotnet", "/app/Guardrail.Gateway.dll"]
