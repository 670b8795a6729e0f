using Guardrail.Cli.Evaluation;

namespace Guardrail.Cli.Tests.Evaluation;

public sealed class ConfusionCountsTests
{
    [Fact]
    public void Measures_HandComputedCounts_MatchTheDefinitions()
    {
        // TP 6, FP 2, FN 3, TN 9: precision 6/8, recall 6/9, F1 12/17, FPR 2/11.
        var counts = new ConfusionCounts(6, 2, 3, 9);

        Assert.Equal(0.75, counts.Precision);
        Assert.Equal(6.0 / 9, counts.Recall!.Value, 12);
        Assert.Equal(12.0 / 17, counts.F1!.Value, 12);
        Assert.Equal(2.0 / 11, counts.FalsePositiveRate!.Value, 12);
        Assert.Equal(20, counts.Total);
        Assert.Equal(9, counts.Positives);
    }

    [Fact]
    public void Measures_EmptyCategory_AreUndefinedNotZero()
    {
        // A category nobody expected and the model never named: no precision, recall or F1; nothing falsely flagged.
        var counts = new ConfusionCounts(0, 0, 0, 12);

        Assert.Null(counts.Precision);
        Assert.Null(counts.Recall);
        Assert.Null(counts.F1);
        Assert.Equal(0.0, counts.FalsePositiveRate);
    }

    [Fact]
    public void Measures_NothingFlagged_PrecisionUndefinedRecallAndF1Zero()
    {
        var counts = new ConfusionCounts(0, 0, 4, 5);

        Assert.Null(counts.Precision);
        Assert.Equal(0.0, counts.Recall);
        Assert.Equal(0.0, counts.F1);
        Assert.Equal(0.0, counts.FalsePositiveRate);
    }

    [Fact]
    public void Add_EachCombination_CountsInItsCell()
    {
        var counts = default(ConfusionCounts).Add(true, true).Add(false, true).Add(true, false).Add(false, false).Add(false, false);

        Assert.Equal(new ConfusionCounts(1, 1, 1, 2), counts);
    }
}
