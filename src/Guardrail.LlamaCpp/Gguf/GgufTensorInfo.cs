namespace Guardrail.LlamaCpp.Gguf;

/// <summary>Where one tensor lives in a GGUF file; the data itself is not read.</summary>
/// <param name="Name">Tensor name, for example <c>blk.0.attn_q.weight</c>.</param>
/// <param name="Dimensions">Sizes, innermost (ggml <c>ne[0]</c>) first.</param>
/// <param name="Type">Element type.</param>
/// <param name="DataOffset">Offset relative to the start of the tensor data section.</param>
/// <param name="FileOffset">Absolute offset of the first byte in the file.</param>
/// <param name="ElementCount">Product of the dimensions.</param>
/// <param name="ByteSize">Bytes of data, or null when the type's block geometry is unknown.</param>
internal sealed record GgufTensorInfo(
    string Name,
    IReadOnlyList<long> Dimensions,
    GgmlType Type,
    long DataOffset,
    long FileOffset,
    long ElementCount,
    long? ByteSize);
