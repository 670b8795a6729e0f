using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis;

/// <summary>Supplies the type and the bytes of each tensor of a synthesized llama model.</summary>
internal interface ILlamaTensorSource
{
    /// <summary>The storage type of <paramref name="tensor"/>.</summary>
    GgmlType TypeOf(LlamaTensorSpec tensor);

    /// <summary>Streams exactly the bytes of <paramref name="tensor"/> into <paramref name="writer"/>.</summary>
    void Write(LlamaTensorSpec tensor, GgufWriter writer, CancellationToken cancellationToken);
}

/// <summary>
/// Writes a complete llama-architecture GGUF: <c>general.*</c> and <c>llama.*</c> keys for the shape, the tokenizer
/// metadata of the vocabulary file, then every tensor llama.cpp's loader requires.
/// </summary>
internal static class LlamaModelFileWriter
{
    /// <summary><c>general.file_type</c> values (llama.cpp's <c>llama_ftype</c>).</summary>
    public const uint FileTypeAllF32 = 0;

    public const uint FileTypeMostlyF16 = 1;

    public static void Write(
        Stream destination,
        string modelName,
        LlamaHyperParameters shape,
        LlamaVocabularyMetadata vocabulary,
        uint fileType,
        ILlamaTensorSource tensors,
        IEnumerable<KeyValuePair<string, GgufValue>>? extraMetadata,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tensors);

        var errors = shape.Validate().ToList();
        if (shape.VocabularySize != vocabulary.TokenCount)
        {
            errors.Add($"VocabularySize {shape.VocabularySize} differs from the {vocabulary.TokenCount} tokens of '{vocabulary.Source}'.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid llama model shape: " + string.Join(" ", errors), nameof(shape));
        }

        using var writer = new GgufWriter(destination, leaveOpen: true);
        writer.AddMetadata(GgufConstants.ArchitectureKey, GgufValue.FromString("llama"));
        writer.AddMetadata("general.name", GgufValue.FromString(modelName));
        writer.AddMetadata("general.file_type", GgufValue.FromUInt32(fileType));
        writer.AddMetadata("llama.vocab_size", GgufValue.FromUInt32((uint)shape.VocabularySize));
        writer.AddMetadata("llama.context_length", GgufValue.FromUInt32((uint)shape.ContextLength));
        writer.AddMetadata("llama.embedding_length", GgufValue.FromUInt32((uint)shape.EmbeddingLength));
        writer.AddMetadata("llama.block_count", GgufValue.FromUInt32((uint)shape.BlockCount));
        writer.AddMetadata("llama.feed_forward_length", GgufValue.FromUInt32((uint)shape.FeedForwardLength));
        writer.AddMetadata("llama.attention.head_count", GgufValue.FromUInt32((uint)shape.HeadCount));
        writer.AddMetadata("llama.attention.head_count_kv", GgufValue.FromUInt32((uint)shape.HeadCountKv));
        writer.AddMetadata("llama.rope.dimension_count", GgufValue.FromUInt32((uint)shape.HeadSize));
        writer.AddMetadata("llama.rope.freq_base", GgufValue.FromFloat32(shape.RopeFreqBase));
        writer.AddMetadata("llama.attention.layer_norm_rms_epsilon", GgufValue.FromFloat32(shape.RmsNormEpsilon));
        foreach (var (key, value) in extraMetadata ?? [])
        {
            writer.AddMetadata(key, value);
        }

        foreach (var (key, value) in vocabulary.Entries)
        {
            writer.AddMetadata(key, value);
        }

        var layout = LlamaTensorLayout.For(shape);
        foreach (var tensor in layout)
        {
            writer.AddTensor(tensor.Name, tensors.TypeOf(tensor), tensor.Dimensions);
        }

        writer.WriteHeader();
        for (var i = 0; i < layout.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            tensors.Write(layout[i], writer, cancellationToken);
            var expectedNext = i + 1 < layout.Count ? layout[i + 1].Name : null;
            if (!string.Equals(writer.CurrentTensorName, expectedNext, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The tensor source wrote the wrong number of bytes for '{layout[i].Name}'.");
            }
        }

        writer.Complete();
    }
}
