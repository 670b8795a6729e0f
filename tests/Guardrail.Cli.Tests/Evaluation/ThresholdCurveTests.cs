using Guardrail.Cli.Evaluation;

namespace Guardrail.Cli.Tests.Evaluation;

public sealed class ThresholdCurveTests
{
    // Scores, best first: 0.9 unsafe, 0.8 unsafe, 0.6 safe, 0.6 unsafe (a tie), 0.3 safe, 0.1 safe.
    private static readonly (double, bool)[] Items =
        [(0.6, false), (0.9, true), (0.1, false), (0.8, true), (0.6, true), (0.3, false)];

    [Fact]
    public void Build_TiedScores_EnterTogetherAsOnePoint()
    {
        var curve = ThresholdCurve.Build(Items);

        Assert.Equal([null, 0.9, 0.8, 0.6, 0.3, 0.1], curve.Points.Select(p => p.Threshold));
        Assert.Equal(new ConfusionCounts(0, 0, 3, 3), curve.Points[0].Counts);
        Assert.Equal(new ConfusionCounts(2, 0, 1, 3), curve.Points[2].Counts);
        Assert.Equal(new ConfusionCounts(3, 1, 0, 2), curve.Points[3].Counts);
        Assert.Equal(new ConfusionCounts(3, 3, 0, 0), curve.Points[5].Counts);
    }

    [Fact]
    public void RocArea_HandComputed_ByTrapezoidsWithTheTieAsADiagonal()
    {
        // ROC (FPR, TPR): (0,0) (0,1/3) (0,2/3) (1/3,1) (2/3,1) (1,1). Area: the tie's step from (0,2/3) to (1/3,1)
        // is a diagonal: 1/3 * (2/3 + 1) / 2 = 5/18; then 2/3 at height 1. Total 5/18 + 12/18 = 17/18.
        var curve = ThresholdCurve.Build(Items);

        Assert.Equal(17.0 / 18, curve.RocArea!.Value, 12);
    }

    [Fact]
    public void AveragePrecision_HandComputed_RecallGainTimesPrecision()
    {
        // Recall gains 1/3 at 0.9 (precision 1), 1/3 at 0.8 (1), 1/3 at 0.6 (3/4): (1 + 1 + 0.75) / 3.
        var curve = ThresholdCurve.Build(Items);

        Assert.Equal(2.75 / 3, curve.AveragePrecision!.Value, 12);
    }

    [Fact]
    public void Areas_OneClassOnly_AreUndefined()
    {
        var curve = ThresholdCurve.Build([(0.4, false), (0.2, false)]);

        Assert.Null(curve.RocArea);
        Assert.Null(curve.AveragePrecision);
    }

    [Fact]
    public void MaximiseF1_PicksTheBestPointAndAPolicyValueBetweenScores()
    {
        // F1 per point: 0.9 -> 2/4, 0.8 -> 4/5, 0.6 -> 6/7, 0.3 -> 6/8, 0.1 -> 6/9. Best: flag down to 0.6, so the
        // policy threshold lies above the next score (0.3) and at most 0.6: the shortest such decimal is 0.5.
        var choice = ThresholdCurve.Build(Items).MaximiseF1()!;

        Assert.Equal(0.6, choice.Point.Threshold);
        Assert.Equal(0.5, choice.PolicyThreshold);
        Assert.Equal(6.0 / 7, choice.Point.Counts.F1!.Value, 12);
    }

    [Fact]
    public void MaximiseF1_EqualF1_PrefersTheHigherThreshold()
    {
        // Flag at 0.9: TP 1, FN 1 -> F1 2/3. Flag at 0.5 too: TP 2, FP 2 -> F1 4/6 = 2/3. A tie: fewer flags win.
        var choice = ThresholdCurve.Build([(0.9, true), (0.5, true), (0.5, false), (0.5, false), (0.1, false)]).MaximiseF1()!;

        Assert.Equal(0.9, choice.Point.Threshold);
    }

    [Fact]
    public void ForTargetFalsePositiveRate_PicksTheHighestRecallWithinTheTarget()
    {
        var curve = ThresholdCurve.Build(Items);

        var strict = curve.ForTargetFalsePositiveRate(0.0)!;
        var loose = curve.ForTargetFalsePositiveRate(0.34)!;

        Assert.Equal(0.8, strict.Point.Threshold);
        Assert.Equal(0.7, strict.PolicyThreshold);
        Assert.Equal(0.6, loose.Point.Threshold);
    }

    [Fact]
    public void ForTargetFalsePositiveRate_TopScoreIsAFalsePositive_IsNull()
    {
        var curve = ThresholdCurve.Build([(0.9, false), (0.2, true)]);

        Assert.Null(curve.ForTargetFalsePositiveRate(0.0));
    }

    [Theory]
    [InlineData(0.3, 0.6, 0.5)]
    [InlineData(0.0, 1.0, 0.5)]
    [InlineData(0.5, 0.51, 0.51)]
    [InlineData(0.99, 1.0, 0.995)]
    public void PolicyValueBetween_ShortestDecimalAboveLowerAtMostUpperBelowOne(double lower, double upper, double expected)
    {
        var value = ThresholdCurve.PolicyValueBetween(lower, upper);

        Assert.Equal(expected, value, 15);
        Assert.True(value > lower && value <= upper && value < 1);
    }

    [Fact]
    public void PolicyValueBetween_ScoresBelowEveryDecimal_TakesTheMiddle()
    {
        var value = ThresholdCurve.PolicyValueBetween(1e-22, 1e-20);

        Assert.True(value > 1e-22 && value <= 1e-20, value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }
}
