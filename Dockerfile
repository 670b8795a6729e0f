# Guardrail gateway image. Build: docker build -t guardrail .   Run: docker run -p 8000:8000 -e ... guardrail
# The build stage needs NuGet and npm (for the pinned llama.cpp runtime); the runtime stage needs neither.
FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm git gcc && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/native-runtime.sh \
 && dotnet publish src/Guardrail.Gateway/Guardrail.Gateway.csproj -c Release -o /app \
 && mkdir -p /app/native && cp -r .cache/llama/runtime /app/native/

FROM mcr.microsoft.com/dotnet/aspnet:10.0-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
# Listen on all interfaces inside the container; the native runtime lives beside the app.
ENV Urls=http://0.0.0.0:8000 \
    GUARDRAIL_LLAMA_RUNTIME_DIR=/app/native/runtime/cpu
EXPOSE 8000
# The audit log (Guardrail:Audit:DatabasePath, default data/audit.db under the app folder) needs a writable volume.
RUN mkdir -p /app/data && chown app /app/data
VOLUME /app/data
USER app
ENTRYPOINT ["dotnet", "/app/Guardrail.Gateway.dll"]
