using Guardrail.Classification;

namespace Guardrail.Core.Tests.Classification;

public sealed class TokenProbabilityTests
{
    [Fact]
    public void Of_RandomLogits_MatchesNaiveSoftmax()
    {
        var random = new Random(1234);
        var logits = new float[1000];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)((random.NextDouble() * 20) - 10);
        }

        var sum = logits.Sum(logit => Math.Exp(logit));
        foreach (var id in new[] { 0, 17, 999 })
        {
            Assert.Equal(Math.Exp(logits[id]) / sum, TokenProbability.Of(logits, id), 1e-12);
        }
    }

    [Fact]
    public void Of_AllProbabilities_SumToOne()
    {
        float[] logits = [3f, -1f, 0.5f, 7f, 7f];

        var total = Enumerable.Range(0, logits.Length).Sum(id => TokenProbability.Of(logits, id));

        Assert.Equal(1.0, total, 1e-12);
    }

    [Fact]
    public void Of_HugeLogitsWhereNaiveOverflows_StaysExact()
    {
        float[] logits = [1000f, 1000f, 999f];
        var naive = Math.Exp(logits[0]) / logits.Sum(logit => Math.Exp(logit));

        var probability = TokenProbability.Of(logits, 0);

        Assert.True(double.IsNaN(naive));
        Assert.Equal(1 / (2 + Math.Exp(-1)), probability, 1e-12);
    }

    [Fact]
    public void Of_VeryNegativeLogitsWhereNaiveUnderflows_StaysExact()
    {
        float[] logits = [-1000f, -1001f];
        var naive = Math.Exp(logits[0]) / logits.Sum(logit => Math.Exp(logit));

        var probability = TokenProbability.Of(logits, 0);

        Assert.True(double.IsNaN(naive));
        Assert.Equal(1 / (1 + Math.Exp(-1)), probability, 1e-12);
    }

    [Fact]
    public void Of_FullVocabularyWithOneDominantToken_CountsEveryOtherToken()
    {
        // 128k zero logits together weigh e^11.76; a logit of 40 still wins, a logit of 10 does not.
        var logits = new float[128_256];
        logits[39257] = 40f;
        logits[19193] = 10f;

        var unsafeProbability = TokenProbability.Of(logits, 39257);
        var safeProbability = TokenProbability.Of(logits, 19193);

        var expectedDenominator = Math.Exp(40) + Math.Exp(10) + (128_254 * 1.0);
        Assert.Equal(Math.Exp(40) / expectedDenominator, unsafeProbability, 1e-12);
        Assert.Equal(Math.Exp(10) / expectedDenominator, safeProbability, 1e-15);
        Assert.True(unsafeProbability > 0.999_999);
    }

    [Fact]
    public void Of_ExtremeFloatRange_NoOverflowAndTinyTailIsZero()
    {
        float[] logits = [float.MaxValue, -float.MaxValue, float.NegativeInfinity];

        Assert.Equal(1.0, TokenProbability.Of(logits, 0));
        Assert.Equal(0.0, TokenProbability.Of(logits, 1));
        Assert.Equal(0.0, TokenProbability.Of(logits, 2));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Of_UnusableLogits_Throws(float bad)
    {
        float[] logits = [1f, bad];

        Assert.Throws<ArgumentException>(() => TokenProbability.Of(logits, 0));
    }

    [Fact]
    public void Of_EmptyOrAllNegativeInfinityOrBadId_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenProbability.Of([], 0));
        Assert.Throws<ArgumentException>(() => TokenProbability.LogSumExp([]));
        Assert.Throws<ArgumentException>(() => TokenProbability.Of([float.NegativeInfinity, float.NegativeInfinity], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenProbability.Of([1f, 2f], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenProbability.Of([1f, 2f], -1));
    }

    [Fact]
    public void LogSumExp_KnownValues_Match()
    {
        Assert.Equal(Math.Log(3), TokenProbability.LogSumExp([0f, 0f, 0f]), 1e-12);
        Assert.Equal(500 + Math.Log(2), TokenProbability.LogSumExp([500f, 500f]), 1e-12);
    }
}
