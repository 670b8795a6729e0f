using Guardrail.Cli.Evaluation;
using static Guardrail.Cli.Tests.Evaluation.EvaluationItems;

namespace Guardrail.Cli.Tests.Evaluation;

public sealed class EvaluationScorerTests
{
    // Five items: a hit on S1, S2 content named S1, a false alarm on S10, a miss, a correct safe, and an error verdict
    // (the policy blocks it, on_error: block) on a safe item.
    private static readonly EvaluatedItem[] Answers =
    [
        Answer("hit", true, ["S1"], 0.95, "S1"),
        Answer("wrong-code", true, ["S2"], 0.9, "S1"),
        Answer("false-alarm", false, [], 0.7, "S10"),
        Answer("miss", true, ["S1"], 0.2),
        Answer("fine", false, [], 0.01),
        Answer("error", false, [], null),
    ];

    [Fact]
    public void Score_Overall_CountsTheErrorAsThePolicyDecidedIt()
    {
        var report = EvaluationScorer.Score(Run("S1", "S2", "S10", "S11"), Answers, TestTaxonomy(), targetFalsePositiveRate: null);

        // Flagged: hit, wrong-code, false-alarm, error. TP 2, FP 2, FN 1, TN 1.
        Assert.Equal(2, report.Overall.TruePositives);
        Assert.Equal(2, report.Overall.FalsePositives);
        Assert.Equal(1, report.Overall.FalseNegatives);
        Assert.Equal(1, report.Overall.TrueNegatives);
        Assert.Equal(0.5, report.Overall.Precision);
        Assert.Equal(2.0 / 3, report.Overall.Recall!.Value, 12);
        Assert.Equal(4.0 / 7, report.Overall.F1!.Value, 12);
        Assert.Equal(2.0 / 3, report.Overall.FalsePositiveRate!.Value, 12);
        Assert.Equal(1, report.Errors);
        // The curves leave the error out: five scored items.
        Assert.Equal(6, report.Roc.Points.Count);
    }

    [Fact]
    public void Score_PerCategory_HandComputedAndEmptyCategoryUndefined()
    {
        var report = EvaluationScorer.Score(Run("S1", "S2", "S10", "S11"), Answers, TestTaxonomy(), targetFalsePositiveRate: null);
        var byCode = report.Categories.ToDictionary(c => c.Code);

        Assert.Equal(["S1", "S2", "S10", "S11"], report.Categories.Select(c => c.Code));
        // S1: expected on hit and miss; named on hit and wrong-code. TP 1, FP 1, FN 1, TN 3.
        var s1 = byCode["S1"].Measures;
        Assert.Equal((1, 1, 1, 3), (s1.TruePositives, s1.FalsePositives, s1.FalseNegatives, s1.TrueNegatives));
        Assert.Equal(0.5, s1.Precision);
        Assert.Equal(0.5, s1.Recall);
        Assert.Equal(0.25, s1.FalsePositiveRate);
        // S2: expected once, never named: recall 0, precision undefined.
        Assert.Null(byCode["S2"].Measures.Precision);
        Assert.Equal(0.0, byCode["S2"].Measures.Recall);
        // S11: sent, but nobody expected it and the model never named it.
        var s11 = byCode["S11"].Measures;
        Assert.Null(s11.Precision);
        Assert.Null(s11.Recall);
        Assert.Null(s11.F1);
        Assert.Equal(0.0, s11.FalsePositiveRate);
        Assert.Equal("Self-Harm", byCode["S11"].Name);
    }

    [Fact]
    public void Score_Confusion_PairsExpectedWithNamedLabels()
    {
        var report = EvaluationScorer.Score(Run("S1"), Answers, TestTaxonomy(), targetFalsePositiveRate: null);
        var labels = report.Confusion.Labels.ToList();
        int Cell(string expected, string named) => report.Confusion.Counts[labels.IndexOf(expected)][labels.IndexOf(named)];

        Assert.Equal(["safe", "S1", "S2", "S10", "unsafe"], labels);
        Assert.Equal(1, Cell("S1", "S1"));
        Assert.Equal(1, Cell("S2", "S1"));
        Assert.Equal(1, Cell("safe", "S10"));
        Assert.Equal(1, Cell("S1", "safe"));
        Assert.Equal(1, Cell("safe", "safe"));
        // The error verdict was blocked with no code.
        Assert.Equal(1, Cell("safe", "unsafe"));
        Assert.Equal(Answers.Length, report.Confusion.Counts.Sum(row => row.Sum()));
    }

    [Fact]
    public void Score_TargetFalsePositiveRate_RecommendsWithinIt()
    {
        var report = EvaluationScorer.Score(Run("S1"), Answers, TestTaxonomy(), targetFalsePositiveRate: 0.0);

        // Scored, best first: 0.95 hit, 0.9 wrong-code, 0.7 false alarm, 0.2 miss, 0.01 fine. No false positive:
        // flag down to 0.9; the policy value lies above 0.7 and at most 0.9.
        var recommendation = report.Recommendation!;
        Assert.Equal("target_fpr", recommendation.Rule);
        Assert.Equal(0.8, recommendation.Threshold);
        Assert.Equal(2, recommendation.Measures.TruePositives);
        Assert.Equal(0, recommendation.Measures.FalsePositives);
    }

    [Fact]
    public void Mistakes_WrongVerdictOrWrongCategories()
    {
        var report = EvaluationScorer.Score(Run("S1"), Answers, TestTaxonomy(), targetFalsePositiveRate: null);

        Assert.Equal(["wrong-code", "false-alarm", "miss", "error"], report.Mistakes.Select(i => i.Id));
    }

    [Fact]
    public void ToJson_FromJson_RoundTripsEveryNumber()
    {
        var report = EvaluationScorer.Score(Run("S1", "S2"), Answers, TestTaxonomy(), targetFalsePositiveRate: 0.1);

        var again = EvaluationReport.FromJson(report.ToJson(), "eval.json");

        Assert.Equal(report.ToJson(), again.ToJson());
    }

    [Fact]
    public void FromJson_NotAReport_SaysSo()
    {
        var error = Assert.Throws<InvalidDataException>(() => EvaluationReport.FromJson("{\"schema\":\"other/2\"}", "x.json"));

        Assert.Contains("x.json", error.Message, StringComparison.Ordinal);
    }
}
