using Guardrail.Classification;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>
/// Llama Guard's tokenizer without its weights: a GGUF file loaded vocabulary-only, for a classifier that builds the
/// exact prompt here and has it decoded elsewhere (a remote Llama Guard server). Thread-safe.
/// </summary>
public sealed class LlamaGuardVocabulary : ILlamaTokenizer, IDisposable
{
    private readonly LlamaModel _model;

    private LlamaGuardVocabulary(LlamaModel model) => _model = model;

    /// <summary>The file's model name (<c>general.name</c> or the file name).</summary>
    public string Name => _model.Info.Name;

    /// <summary>
    /// Initialises the native runtime (idempotent, CPU only is enough) and reads the tokenizer of the GGUF file at
    /// <paramref name="path"/>: a Llama Guard 3 model, or any file with the Llama 3 vocabulary (llama.cpp's
    /// <c>ggml-vocab-llama-bpe.gguf</c>).
    /// </summary>
    /// <exception cref="NativeRuntimeException">The native runtime cannot be loaded.</exception>
    /// <exception cref="Gguf.GgufFormatException">The file is missing or not a GGUF file.</exception>
    /// <exception cref="LlamaInferenceException">The file is not a Llama 3 vocabulary (no <c>safe</c> / <c>unsafe</c> tokens).</exception>
    public static LlamaGuardVocabulary Load(string path, NativeRuntimeOptions runtime, ILoggerFactory loggerFactory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        NativeRuntime.Initialize(runtime, loggerFactory);
        var model = LlamaModel.Load(path, new LlamaModelLoadOptions { VocabOnly = true, GpuLayers = 0 });
        if (model.Vocab.FindToken("safe") is null || model.Vocab.FindToken("unsafe") is null)
        {
            model.Dispose();
            throw new LlamaInferenceException($"'{path}' has no 'safe' and 'unsafe' tokens: it is not a Llama 3 vocabulary, so it cannot tokenize Llama Guard 3 prompts.");
        }

        return new LlamaGuardVocabulary(model);
    }

    /// <inheritdoc />
    public int[] Tokenize(string text, bool parseSpecial) => _model.Vocab.Tokenize(text, addSpecial: false, parseSpecial);

    /// <summary>Tokens of <paramref name="text"/>, special-token strings read as text (what limits charge).</summary>
    public int CountTokens(string text) => Tokenize(text, parseSpecial: false).Length;

    /// <inheritdoc />
    public void Dispose() => _model.Dispose();
}
