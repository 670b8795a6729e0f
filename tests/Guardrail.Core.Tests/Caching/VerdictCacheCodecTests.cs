using System.Text;
using Guardrail.Caching;
using Guardrail.Classification;

namespace Guardrail.Core.Tests.Caching;

public sealed class VerdictCacheCodecTests
{
    private static readonly GuardVerdict Unsafe = new()
    {
        Outcome = GuardOutcome.Unsafe,
        UnsafeProbability = 0.9731,
        Categories = ["S1", "S10"],
        UnparsedCategories = ["weird"],
        Truncated = true,
        DroppedTurns = 2,
        OmittedTokens = 17,
        RawOutput = "unsafe\nS1,S10,weird",
        ModelId = "keyword-guard.gguf",
        Latency = TimeSpan.FromMilliseconds(40),
    };

    [Fact]
    public void Decode_EncodedUnsafeVerdict_RoundTripsEverythingButLatency()
    {
        var decoded = VerdictCacheCodec.Decode(VerdictCacheCodec.Encode(Unsafe));

        Assert.NotNull(decoded);
        Assert.Equal(GuardOutcome.Unsafe, decoded.Outcome);
        Assert.Equal(0.9731, decoded.UnsafeProbability);
        Assert.Equal(["S1", "S10"], decoded.Categories);
        Assert.Equal(["weird"], decoded.UnparsedCategories);
        Assert.True(decoded.Truncated);
        Assert.Equal(2, decoded.DroppedTurns);
        Assert.Equal(17, decoded.OmittedTokens);
        Assert.Equal(Unsafe.RawOutput, decoded.RawOutput);
        Assert.Equal("keyword-guard.gguf", decoded.ModelId);
        Assert.Equal(TimeSpan.Zero, decoded.Latency);
    }

    [Fact]
    public void Encode_ErrorVerdict_IsNotCacheable()
    {
        Assert.Null(VerdictCacheCodec.Encode(GuardVerdict.Failed("model not loaded")));
    }

    [Fact]
    public void Decode_UnknownFormatVersion_IsAMiss()
    {
        var value = VerdictCacheCodec.Encode(Unsafe)!;
        value[0] = VerdictCacheCodec.FormatVersion + 1;

        Assert.Null(VerdictCacheCodec.Decode(value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\u0001")]
    [InlineData("\u0001{not json")]
    [InlineData("\u0001[1,2]")]
    [InlineData("\u0001{\"outcome\":\"error\"}")]
    [InlineData("\u0001{\"outcome\":\"safe\",\"p\":\"high\"}")]
    public void Decode_CorruptOrForeignValue_IsAMiss(string value)
    {
        Assert.Null(VerdictCacheCodec.Decode(Encoding.UTF8.GetBytes(value)));
    }
}
