using System.Collections.Immutable;
using Guardrail.Classification;

namespace Guardrail.Core.Tests.Classification;

public sealed class GuardVerdictTests
{
    private static readonly TokenizedPrompt Truncated = new()
    {
        Tokens = [1, 2, 3],
        PrefixTokenCount = 1,
        SuffixTokenCount = 1,
        TokenBudget = 3,
        DroppedTurns = 2,
        OmittedTokens = 0,
    };

    [Fact]
    public void FromOutput_UnsafeAnswer_CarriesProbabilityCategoriesAndTruncation()
    {
        var verdict = GuardVerdict.FromOutput("unsafe\nS1,S10<|eot_id|>", 0.97, Truncated, "keyword-guard", TimeSpan.FromMilliseconds(12));

        Assert.Equal(GuardOutcome.Unsafe, verdict.Outcome);
        Assert.Equal(0.97, verdict.UnsafeProbability);
        Assert.Equal(["S1", "S10"], verdict.Categories);
        Assert.True(verdict.Truncated);
        Assert.Equal(2, verdict.DroppedTurns);
        Assert.Equal("unsafe\nS1,S10<|eot_id|>", verdict.RawOutput);
        Assert.Equal("keyword-guard", verdict.ModelId);
        Assert.Equal(TimeSpan.FromMilliseconds(12), verdict.Latency);
        Assert.Null(verdict.Error);
    }

    [Fact]
    public void FromOutput_GarbledAnswer_IsErrorWithReasonAndKeepsProbability()
    {
        var prompt = Truncated with { DroppedTurns = 0, Tokens = ImmutableArray.Create(1) };

        var verdict = GuardVerdict.FromOutput("Sure! Here is", 0.2, prompt, null, TimeSpan.Zero);

        Assert.Equal(GuardOutcome.Error, verdict.Outcome);
        Assert.NotNull(verdict.Error);
        Assert.Equal(0.2, verdict.UnsafeProbability);
        Assert.False(verdict.Truncated);
    }

    [Fact]
    public void Failed_Reason_IsErrorWithoutProbability()
    {
        var verdict = GuardVerdict.Failed("model not loaded", "m", TimeSpan.FromSeconds(1));

        Assert.Equal(GuardOutcome.Error, verdict.Outcome);
        Assert.Null(verdict.UnsafeProbability);
        Assert.Equal("model not loaded", verdict.Error);
    }
}
