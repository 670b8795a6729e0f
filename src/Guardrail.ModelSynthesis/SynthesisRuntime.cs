using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging;

namespace Guardrail.ModelSynthesis;

/// <summary>The native pieces synthesis needs: llama.cpp's tokenizer and quantizer, started on first use.</summary>
internal static class SynthesisRuntime
{
    /// <summary>The Llama 3 vocab GGUF installed by <c>scripts/native-runtime.sh</c>.</summary>
    public static string DefaultVocabularyPath =>
        Path.Combine(NativeRuntimeLocator.VocabDirectory(), "ggml-vocab-llama-bpe.gguf");

    /// <summary>Loads <paramref name="vocabularyPath"/> vocab-only as a tokenizer; the caller disposes it.</summary>
    /// <exception cref="NativeRuntimeException">The llama.cpp runtime is missing or broken.</exception>
    public static VocabTokenizer OpenTokenizer(string vocabularyPath, ILoggerFactory loggerFactory)
    {
        EnsureRuntime(loggerFactory);
        return new VocabTokenizer(LlamaModel.Load(vocabularyPath, new LlamaModelLoadOptions { VocabOnly = true }));
    }

    /// <summary>Quantizes an F16 model file with llama.cpp's own quantizer.</summary>
    /// <exception cref="NativeRuntimeException">The llama.cpp runtime is missing or broken.</exception>
    /// <exception cref="LlamaInferenceException">llama.cpp failed to quantize.</exception>
    public static void Quantize(string source, string destination, SynthQuantization quantization, ILoggerFactory loggerFactory)
    {
        var fileType = quantization switch
        {
            SynthQuantization.Q8_0 => LlamaFileType.Q8_0,
            SynthQuantization.Q4_K_M => LlamaFileType.Q4_K_M,
            _ => throw new ArgumentOutOfRangeException(nameof(quantization), quantization, "Only Q8_0 and Q4_K_M are quantization targets."),
        };
        EnsureRuntime(loggerFactory);
        LlamaQuantizer.Quantize(source, destination, fileType);
    }

    private static void EnsureRuntime(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (NativeRuntime.Current is null)
        {
            NativeRuntime.Initialize(new NativeRuntimeOptions(), loggerFactory);
        }
    }
}
