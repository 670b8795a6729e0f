namespace Guardrail.LlamaCpp.Inference;

/// <summary>Shape and size of a loaded model, from its GGUF metadata and llama.cpp.</summary>
internal sealed record LlamaModelInfo
{
    /// <summary><see cref="SizeClass"/> of the Llama 3.2 1B shape (Llama Guard 3 1B).</summary>
    public const string SizeClass1B = "1B";

    /// <summary><see cref="SizeClass"/> of the Llama 3.1 8B shape (Llama Guard 3 8B).</summary>
    public const string SizeClass8B = "8B";

    /// <summary><see cref="SizeClass"/> of any other shape.</summary>
    public const string SizeClassOther = "other";

    /// <summary><c>general.name</c>, or the file name without extension.</summary>
    public required string Name { get; init; }

    /// <summary><c>general.architecture</c> (always <c>llama</c> for a loaded model).</summary>
    public required string Architecture { get; init; }

    /// <summary>llama.cpp's one-line description, for example <c>llama 1B Q8_0</c>.</summary>
    public required string Description { get; init; }

    public required int LayerCount { get; init; }

    public required int EmbeddingSize { get; init; }

    public required int FeedForwardSize { get; init; }

    public required int HeadCount { get; init; }

    public required int KvHeadCount { get; init; }

    /// <summary>Training context length (<c>llama.context_length</c>).</summary>
    public required int ContextLength { get; init; }

    public required int VocabSize { get; init; }

    /// <summary>Sum of the element counts of all tensors.</summary>
    public required long ParameterCount { get; init; }

    public required long FileSizeBytes { get; init; }

    /// <summary><see cref="SizeClass1B"/>, <see cref="SizeClass8B"/> or <see cref="SizeClassOther"/>, from the shape alone (weights may be random).</summary>
    public required string SizeClass { get; init; }

    /// <summary>Which Llama Guard variant the file's metadata names (size label, name, shape, chat template), and why.</summary>
    public required ModelVariantDetection Variant { get; init; }

    /// <summary>Classifies a shape: the published Llama 3.2 1B and Llama 3.1 8B dimensions, else other.</summary>
    public static string ClassifyShape(int embedding, int layers, int heads, int kvHeads, int feedForward) =>
        (embedding, layers, heads, kvHeads, feedForward) switch
        {
            (2048, 16, 32, 8, 8192) => SizeClass1B,
            (4096, 32, 32, 8, 14336) => SizeClass8B,
            _ => SizeClassOther,
        };
}
