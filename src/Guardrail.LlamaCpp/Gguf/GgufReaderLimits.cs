namespace Guardrail.LlamaCpp.Gguf;

/// <summary>
/// Bounds that keep a hostile or corrupt header from making the reader allocate without limit. Every count is also
/// checked against the bytes left in the file, so these only need to cover legitimate files.
/// </summary>
internal sealed record GgufReaderLimits
{
    /// <summary>Defaults that admit every real Llama model (a chat template is kilobytes; a vocabulary 10^5-10^6 entries).</summary>
    public static GgufReaderLimits Default { get; } = new();

    /// <summary>Longest string (key, value or array element) in bytes. Default 16 MiB.</summary>
    public int MaxStringBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most elements in one array. Default 16 Mi.</summary>
    public int MaxArrayLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most metadata entries. Default 65536.</summary>
    public int MaxMetadataCount { get; init; } = 65536;

    /// <summary>Most tensors. Default 1 Mi.</summary>
    public int MaxTensorCount { get; init; } = 1024 * 1024;

    /// <summary>Deepest nesting of arrays inside arrays. Default 4.</summary>
    public int MaxArrayDepth { get; init; } = 4;
}
