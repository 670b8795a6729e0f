using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.LlamaCpp.Inference;

/// <summary>Rewrites a model with quantized weights through <c>llama_model_quantize</c> and its default settings.</summary>
internal static unsafe class LlamaQuantizer
{
    /// <summary>Quantizes <paramref name="inputPath"/> (F32/F16/BF16 weights) into <paramref name="outputPath"/>.</summary>
    /// <param name="inputPath">A llama-architecture GGUF with weights.</param>
    /// <param name="outputPath">File to write; overwritten if present. Must differ from the input.</param>
    /// <param name="fileType">Target type, for example <see cref="LlamaFileType.Q8_0"/> or <see cref="LlamaFileType.Q4_K_M"/>.</param>
    /// <param name="threads">Threads to use; 0 (default) uses every processor.</param>
    /// <exception cref="GgufFormatException">The input is missing or malformed.</exception>
    /// <exception cref="LlamaInferenceException">llama.cpp failed (the message carries its return code).</exception>
    public static void Quantize(string inputPath, string outputPath, LlamaFileType fileType, int threads = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(inputPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (!Enum.IsDefined(fileType) || fileType == LlamaFileType.Guessed)
        {
            throw new ArgumentOutOfRangeException(nameof(fileType), fileType, "Not a quantization target.");
        }

        NativeRuntime.EnsureInitialized();
        var input = Path.GetFullPath(inputPath);
        var output = Path.GetFullPath(outputPath);
        if (string.Equals(input, output, StringComparison.Ordinal))
        {
            throw new ArgumentException("The output must be a different file from the input.", nameof(outputPath));
        }

        var gguf = GgufReader.Read(input);
        if (!string.Equals(gguf.Architecture, LlamaModel.SupportedArchitecture, StringComparison.Ordinal) || gguf.Tensors.Count == 0)
        {
            throw new NotSupportedException($"'{input}' is not a llama model with weights (architecture '{gguf.Architecture}', {gguf.Tensors.Count} tensors).");
        }

        var outputDirectory = Path.GetDirectoryName(output);
        if (outputDirectory is not null && !Directory.Exists(outputDirectory))
        {
            throw new DirectoryNotFoundException($"The output directory '{outputDirectory}' does not exist.");
        }

        var parameters = LlamaNative.llama_model_quantize_default_params();
        parameters.ftype = fileType;
        parameters.nthread = threads == 0 ? Environment.ProcessorCount : threads;
        LlamaLogBridge.TakeLastError();
        var code = LlamaNative.llama_model_quantize(input, output, &parameters);
        if (code != 0)
        {
            var reason = LlamaLogBridge.TakeLastError();
            throw new LlamaInferenceException(
                $"llama_model_quantize failed with code {code} quantizing '{input}' to {fileType}" + (reason is null ? "." : $": {reason}"))
            {
                NativeCode = (int)code,
            };
        }
    }
}
