using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Tests.TestSupport;

namespace Guardrail.LlamaCpp.Tests.FuzzRegressions;

/// <summary>
/// GGUF headers the fuzz target <c>gguf</c> (benchmarks/Guardrail.Fuzz) showed the reader mishandling: each must be
/// refused with a <see cref="GgufFormatException"/> naming the problem, like every other malformed header, and never
/// described as a tensor that fits in the file.
/// </summary>
public sealed class GgufFuzzRegressionTests
{
    /// <summary>2^31 x 2^31 F32 elements fit in 64 bits, their 2^64 bytes do not: this threw an OverflowException.</summary>
    [Fact]
    public void Read_TensorWhoseByteSizeOverflows_ThrowsFormatException()
    {
        var bytes = Llama().Tensor("w", GgmlType.F32, 0, 1UL << 31, 1UL << 31).PadTo(32).Zeros(64).ToArray();

        var ex = Assert.Throws<GgufFormatException>(() => Read(bytes));

        Assert.Contains("tensor 'w'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("64 bits", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// 337 x 4544113 x 6022970047 I8 elements are 2^63 - 1 bytes; at data offset 32 the end (offset + size) wrapped
    /// to a negative number, which passed the end-of-file check: a tensor far beyond the file was accepted.
    /// </summary>
    [Fact]
    public void Read_TensorWhoseEndWrapsAround_ThrowsTruncated()
    {
        var bytes = Llama().Tensor("w", GgmlType.I8, 32, 337, 4_544_113, 6_022_970_047).PadTo(32).Zeros(64).ToArray();

        var ex = Assert.Throws<GgufFormatException>(() => Read(bytes));

        Assert.Contains("beyond the end of the file", ex.Message, StringComparison.Ordinal);
    }

    private static GgufBytes Llama() => GgufBytes.Header(1, 1).KvString("general.architecture", "llama");

    private static GgufFile Read(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return GgufReader.Read(stream, "fuzz.gguf");
    }
}
