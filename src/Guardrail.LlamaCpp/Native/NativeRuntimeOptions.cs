namespace Guardrail.LlamaCpp.Native;

/// <summary>How to find and start the llama.cpp runtime.</summary>
public sealed record NativeRuntimeOptions
{
    /// <summary>
    /// Directory holding <c>libllama.v0.5.0.so</c> and the ggml libraries. Null (default): the
    /// <c>GUARDRAIL_LLAMA_RUNTIME_DIR</c> environment variable, else <c>.cache/llama/runtime/{cpu|cuda}</c> as
    /// installed by <c>scripts/native-runtime.sh</c>.
    /// </summary>
    public string? RuntimeDirectory { get; init; }

    /// <summary>Prefer the CUDA runtime; falls back to CPU with a warning when it or its CUDA libraries are missing. Default false.</summary>
    public bool UseGpu { get; init; }

    /// <summary>Fail instead of falling back to CPU when <see cref="UseGpu"/> cannot be honoured. Implies <see cref="UseGpu"/>. Default false.</summary>
    public bool RequireGpu { get; init; }

    /// <summary>
    /// Forward llama.cpp's own log output to the logger factory (category <c>Guardrail.LlamaCpp.Native.llama.cpp</c>,
    /// its INFO as Debug). Default true; when false llama.cpp keeps writing to stderr, and native failures are reported
    /// without llama.cpp's reason.
    /// </summary>
    public bool ForwardNativeLogs { get; init; } = true;
}
