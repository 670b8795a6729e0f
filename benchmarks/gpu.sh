#!/usr/bin/env bash
# GPU classifier benchmark (issue 17): on a machine with an NVIDIA GPU and CUDA 13, the classifier table of the 1B and
# 8B Llama Guard 3 shapes (random weights, Q4_K_M) at concurrency 1, 4, 16 and 64, all layers on the GPU.
# Usage: benchmarks/gpu.sh [requests-1b] [requests-8b]
#
# The CUDA runtime is node-llama-cpp's CUDA package (scripts/native-runtime.sh --cuda). When its libggml-cuda.so
# cannot be used on this machine (a CUDA library it links is missing) and nvcc is installed, libggml-cuda.so is built
# from the same llama.cpp release's sources (the bundle in the node-llama-cpp package) for this GPU's architecture.
# Without a GPU, or when the CUDA runtime does not load, it falls back to the CPU, says so, and runs only the 1B shape
# with 8 checks per level, so that the run ends in minutes (the 8B shape on CPU would take hours).
# Numbers, not a test: results go in docs/BENCHMARKS.md with the command line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$GUARDRAIL_ROOT"
started=$SECONDS

levels="1,4,16,64"
requests_1b="${1:-512}"
requests_8b="${2:-256}"
cpu_requests=8
llama_dir="$GUARDRAIL_CACHE_DIR/llama"
bench_dir="$GUARDRAIL_CACHE_DIR/bench"

source "$GUARDRAIL_ROOT/benchmarks/lib.sh"

# build_cuda_backend RUNTIME-DIR ARCH: builds libggml-cuda.so from the llama.cpp bundle with this machine's nvcc and
# writes a runtime folder of RUNTIME-DIR's libraries plus the new backend; prints that folder.
build_cuda_backend() {
    local base="$1" arch="$2" dest="$llama_dir/runtime/cuda-local" tmp
    if [[ -f "$dest/libggml-cuda.so" && -f "$dest/ARCH" && "$(cat "$dest/ARCH")" == "$arch" ]]; then
        printf '%s\n' "$dest"
        return 0
    fi
    ensure_debian_packages cmake:cmake g++:g++ git:git >&2
    tmp="$(mktemp -d)"
    say "building libggml-cuda.so for sm_$arch from the llama.cpp sources in the node-llama-cpp bundle (nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'))"
    tar -xzf "$llama_dir/downloads/node-llama-cpp-3.22.1.tgz" -C "$tmp" package/llama/gitRelease.bundle
    git clone --quiet "$tmp/package/llama/gitRelease.bundle" "$tmp/src" 2>/dev/null \
        || { git clone --quiet --no-checkout "$tmp/package/llama/gitRelease.bundle" "$tmp/src" \
            && git -C "$tmp/src" checkout --quiet "$(git -C "$tmp/src" for-each-ref --format='%(refname)' | head -n 1)" -- .; }
    cmake -S "$tmp/src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON \
        -DGGML_NATIVE=OFF -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF >"$tmp/cmake.log" 2>&1 \
        || { tail -n 20 "$tmp/cmake.log" >&2; rm -rf "$tmp"; return 1; }
    cmake --build "$tmp/build" --target ggml-cuda -j "$(nproc)" >"$tmp/build.log" 2>&1 \
        || { tail -n 20 "$tmp/build.log" >&2; rm -rf "$tmp"; return 1; }
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$base"/*.so* "$base/MANIFEST" "$dest/"
    cp "$(find "$tmp/build" -name libggml-cuda.so | head -n 1)" "$dest/libggml-cuda.so"
    printf '%s\n' "$arch" >"$dest/ARCH"
    rm -rf "$tmp"
    printf '%s\n' "$dest"
}

# Missing shared libraries of a file, one per line (empty when everything resolves).
missing_libraries() { ldd "$1" 2>/dev/null | awk '/not found/ { print $1 }'; }

# 1. Which backend: a GPU that nvidia-smi sees, and a CUDA runtime that resolves on this machine.
fallback=""
gpu_name=""
if ! command -v nvidia-smi >/dev/null 2>&1; then
    fallback="no NVIDIA driver: nvidia-smi is not installed"
elif ! gpu_name="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)" || [[ -z "$gpu_name" ]]; then
    fallback="nvidia-smi found no GPU"
fi

if [[ -z "$fallback" ]]; then
    say "GPU: $gpu_name"
    runtime="$llama_dir/runtime/cuda"
    if ! scripts/native-runtime.sh --cuda >&2; then
        runtime="$llama_dir/runtime/cpu"
    fi
    missing="$( [[ -f "$runtime/libggml-cuda.so" ]] && missing_libraries "$runtime/libggml-cuda.so" | paste -sd ' ' || echo "libggml-cuda.so")"
    if [[ -n "$missing" ]]; then
        arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n 1 | tr -d ' .')"
        if command -v nvcc >/dev/null 2>&1 && built="$(build_cuda_backend "$runtime" "$arch")" && [[ -z "$(missing_libraries "$built/libggml-cuda.so")" ]]; then
            export GUARDRAIL_LLAMA_RUNTIME_DIR="$built"
        elif command -v nvcc >/dev/null 2>&1; then
            fallback="the CUDA runtime needs $missing and building libggml-cuda.so with nvcc failed"
        else
            fallback="the CUDA runtime needs $missing, and there is no nvcc to build libggml-cuda.so (install CUDA 13)"
        fi
    fi
fi

# 2. The shapes, written once into the cache.
model_1b="$bench_dir/llama-guard-3-1b-q4_k_m.gguf"
model_8b="$bench_dir/llama-guard-3-8b-q4_k_m.gguf"
bench_model "$model_1b" "Llama Guard 3 1B shape, random weights, Q4_K_M" --preset llama-guard-3-1b --quant Q4_K_M

# 3. A one-check probe: the runtime falls back to the CPU by itself when the CUDA backend does not load.
if [[ -z "$fallback" ]]; then
    probe="$("${guardrail[@]}" bench classify --model "$model_1b" --requests 1 --concurrency 1 --gpu-layers -1 2>&1)" || true
    grep -q '^backend: GPU' <<<"$probe" \
        || fallback="the CUDA runtime did not load: $(grep -m1 -iE 'warn|error|fall' <<<"$probe" || grep -m1 '^backend:' <<<"$probe" || echo 'no report')"
fi

if [[ -z "$fallback" ]]; then
    bench_model "$model_8b" "Llama Guard 3 8B shape, random weights, Q4_K_M" --preset llama-guard-3-8b --quant Q4_K_M
    runs=("1B|$model_1b|$requests_1b" "8B|$model_8b|$requests_8b")
    gpu_layers=-1
    backend="CUDA: $gpu_name"
else
    say "CPU fallback: $fallback. Running the 1B shape only, $cpu_requests checks per level."
    runs=("1B|$model_1b|$cpu_requests")
    gpu_layers=0
    backend="CPU fallback: $fallback"
fi

# 4. The runs, then one table. tokens/s: tokens llama.cpp decoded per second of wall time (prompt tokens not taken
# from the prefix or conversation cache, plus generated ones); tokens in prompt: decoded plus reused, per check.
table="$(mktemp)"
trap 'rm -f "$table"' EXIT
for run in "${runs[@]}"; do
    IFS='|' read -r shape model requests <<<"$run"
    say "$shape shape: $requests checks per level at concurrency $levels"
    # Every level checks the same conversations: without --no-conversation-cache the later levels would find whole
    # prompts cached by the first and decode almost nothing.
    output="$("${guardrail[@]}" bench classify --model "$model" --requests "$requests" --concurrency "$levels" --gpu-layers "$gpu_layers" --no-conversation-cache)"
    printf '%s\n' "$output" >&2
    awk -F' [|] ' -v shape="$shape" -v requests="$requests" '
        /^[0-9]+ [|] / { printf "| %s | %s | %s | %s | %s | %.0f | %.0f / %.0f |\n", shape, $1, $3, $4, $2, $9 / $5, $9 / requests, ($9 + $10) / requests }
    ' <<<"$output" >>"$table"
done

echo "backend: $backend"
echo "conversation: one user message of 20 to 60 words (about 100 conversation tokens, 136 prompt-prefix tokens with all 14 categories); policy prefix reuse on, conversation cache off"
echo "| shape | concurrency | p50 ms | p99 ms | checks/s | tokens/s | tokens per check, decoded / in prompt |"
echo "|---|---|---|---|---|---|---|"
cat "$table"
echo "elapsed: $((SECONDS - started)) s"
