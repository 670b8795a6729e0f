namespace Guardrail.LlamaCpp.Gguf;

/// <summary>The header of a GGUF file: metadata in file order and tensor descriptions, no tensor data.</summary>
internal sealed class GgufFile
{
    private readonly Dictionary<string, GgufValue> _byKey;

    internal GgufFile(
        string source,
        uint version,
        long fileSize,
        uint alignment,
        long dataOffset,
        IReadOnlyList<KeyValuePair<string, GgufValue>> metadata,
        IReadOnlyList<GgufTensorInfo> tensors)
    {
        Source = source;
        Version = version;
        FileSize = fileSize;
        Alignment = alignment;
        DataOffset = dataOffset;
        Metadata = metadata;
        Tensors = tensors;
        _byKey = new Dictionary<string, GgufValue>(metadata.Count, StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            _byKey.Add(key, value);
        }
    }

    /// <summary>The path the file was read from, or a description of the stream.</summary>
    public string Source { get; }

    public uint Version { get; }

    public long FileSize { get; }

    /// <summary>Alignment of tensor data (<c>general.alignment</c> or 32).</summary>
    public uint Alignment { get; }

    /// <summary>Absolute offset where the tensor data section starts.</summary>
    public long DataOffset { get; }

    /// <summary>Metadata entries in the order they appear in the file.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>The value of <c>general.architecture</c>, or null.</summary>
    public string? Architecture => TryGetString(GgufConstants.ArchitectureKey);

    public GgufValue? Find(string key) => _byKey.GetValueOrDefault(key);

    public string? TryGetString(string key) => Find(key)?.Value as string;

    /// <summary>An integer value as <see cref="long"/>, or null when absent or not an integer.</summary>
    public long? TryGetInteger(string key)
    {
        var value = Find(key);
        if (value is null || value.Type is GgufValueType.String or GgufValueType.Array or GgufValueType.Bool
            or GgufValueType.Float32 or GgufValueType.Float64)
        {
            return null;
        }

        return value.Type == GgufValueType.UInt64 && (ulong)value.Value > long.MaxValue ? null : value.AsInt64();
    }

    public GgufTensorInfo? FindTensor(string name)
    {
        foreach (var tensor in Tensors)
        {
            if (string.Equals(tensor.Name, name, StringComparison.Ordinal))
            {
                return tensor;
            }
        }

        return null;
    }
}
