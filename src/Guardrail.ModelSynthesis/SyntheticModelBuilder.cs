using System.Globalization;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis;

/// <summary>Writes synthesized models to disk: random weights for a preset shape, or a keyword guard.</summary>
internal static class SyntheticModelBuilder
{
    /// <summary>
    /// Writes a random-weight model of <paramref name="preset"/>'s shape to <paramref name="outputPath"/> (atomically):
    /// F16 as generated, or quantized through <paramref name="quantize"/> from a temporary F16 file.
    /// </summary>
    /// <remarks>
    /// <paramref name="quantize"/> converts an F16 GGUF (first path) to the requested format (second path); it is only
    /// called when <paramref name="quantization"/> is not F16 (llama.cpp's <c>llama_model_quantize</c> in production).
    /// </remarks>
    public static void BuildRandom(
        string outputPath,
        SynthPreset preset,
        SynthQuantization quantization,
        ulong seed,
        LlamaVocabularyMetadata vocabulary,
        Action<string, string, SynthQuantization>? quantize,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(preset);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var name = string.Create(CultureInfo.InvariantCulture, $"synthetic {preset.Name} (random, seed {seed})");
        var source = new RandomTensorSource(seed);
        var shape = preset.Shape with { VocabularySize = vocabulary.TokenCount };
        var extra = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.description", GgufValue.FromString($"Random weights in the shape of {preset.Name}; its verdicts are noise, its cost is real.")),
        };
        extra.AddRange(VariantMetadata(preset.Imitates));

        if (quantization == SynthQuantization.F16)
        {
            AtomicFile.Write(outputPath, stream => LlamaModelFileWriter.Write(
                stream, name, shape, vocabulary, LlamaModelFileWriter.FileTypeMostlyF16, source, extra, cancellationToken));
            return;
        }

        if (quantize is null)
        {
            throw new ArgumentNullException(nameof(quantize), $"Quantizing to {quantization} needs the native llama.cpp quantizer.");
        }

        var full = Path.GetFullPath(outputPath);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var f16 = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.f16.partial");
        try
        {
            using (var stream = new FileStream(f16, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                LlamaModelFileWriter.Write(stream, name, shape, vocabulary, LlamaModelFileWriter.FileTypeMostlyF16, source, extra, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var quantized = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
            try
            {
                quantize(f16, quantized, quantization);
                File.Move(quantized, full, overwrite: true);
            }
            finally
            {
                File.Delete(quantized);
            }
        }
        finally
        {
            File.Delete(f16);
        }
    }

    /// <summary>
    /// Resolves <paramref name="spec"/> against the tokenizer and writes the keyword guard (atomically). With
    /// <paramref name="imitates"/>, its metadata names that Llama Guard variant (<c>general.size_label</c> and the
    /// name), so a gateway loading it builds that model's prompts; its weights and answers are the same either way.
    /// </summary>
    /// <exception cref="KeywordGuardSpecException">A word has no single-token form, or a token clashes.</exception>
    public static KeywordGuardPlan BuildKeywordGuard(
        string outputPath,
        KeywordGuardSpec spec,
        LlamaVocabularyMetadata vocabulary,
        ISynthTokenizer tokenizer,
        CancellationToken cancellationToken,
        GuardModelVariant? imitates = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var plan = KeywordGuardPlan.Create(spec, tokenizer, vocabulary);
        var weights = new KeywordGuardWeights(plan);
        var extra = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.description", GgufValue.FromString("Hand-weighted keyword guard: answers like Llama Guard 3 from trigger tokens; for tests only.")),
            new("guardrail.keyword_guard.spec", GgufValue.FromString(spec.ToString())),
        };
        extra.AddRange(VariantMetadata(imitates));
        var name = imitates is null ? $"synthetic keyword guard ({spec})" : $"synthetic keyword guard ({spec}) imitating {imitates.DisplayName}";
        AtomicFile.Write(outputPath, stream => LlamaModelFileWriter.Write(
            stream, name, weights.Shape, vocabulary, LlamaModelFileWriter.FileTypeMostlyF16, weights, extra, cancellationToken));
        return plan;
    }

    /// <summary>Resolves <paramref name="script"/> against the tokenizer and writes the scripted generator (atomically).</summary>
    /// <exception cref="KeywordGuardSpecException">The sentences or the trigger cannot be wired (repeated or shared tokens, no single-token trigger).</exception>
    public static ScriptedGeneratorPlan BuildScriptedGenerator(
        string outputPath,
        ScriptedGeneratorScript script,
        LlamaVocabularyMetadata vocabulary,
        ISynthTokenizer tokenizer,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(script);
        var plan = ScriptedGeneratorPlan.Create(script, tokenizer, vocabulary);
        var weights = new ScriptedGeneratorWeights(plan);
        var extra = new List<KeyValuePair<string, GgufValue>>
        {
            new("general.description", GgufValue.FromString("Hand-weighted scripted generator: answers fixed sentences; for tests and the demo only.")),
            new("guardrail.scripted_generator.script", GgufValue.FromString(script.ToString())),
        };
        AtomicFile.Write(outputPath, stream => LlamaModelFileWriter.Write(
            stream, "synthetic scripted generator", weights.Shape, vocabulary, LlamaModelFileWriter.FileTypeMostlyF16, weights, extra, cancellationToken));
        return plan;
    }

    /// <summary>
    /// The metadata that names a Llama Guard variant the way llama.cpp's converter does for the published files:
    /// <c>general.size_label</c> (<c>1B</c>, <c>8B</c>). Nothing for a file that imitates none.
    /// </summary>
    internal static IEnumerable<KeyValuePair<string, GgufValue>> VariantMetadata(GuardModelVariant? imitates) =>
        imitates?.TaxonomyModel is { } size
            ? [new("general.size_label", GgufValue.FromString(size))]
            : [];
}
