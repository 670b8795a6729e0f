using Guardrail.Cli.Evaluation;
using static Guardrail.Cli.Tests.Evaluation.EvaluationItems;

namespace Guardrail.Cli.Tests.Evaluation;

public sealed class RunComparisonTests
{
    [Fact]
    public void Changed_ListsExactlyTheItemsWhoseAnswerDiffers()
    {
        var a = Report(
            Answer("same-unsafe", true, ["S1"], 0.9, "S1"),
            Answer("same-safe", false, [], 0.1),
            Answer("now-flagged", true, ["S1"], 0.2),
            Answer("other-code", true, ["S2"], 0.9, "S1"),
            Answer("score-only", false, [], 0.3),
            Answer("only-in-a", false, [], 0.1));
        var b = Report(
            Answer("same-unsafe", true, ["S1"], 0.8, "S1"),
            Answer("same-safe", false, [], 0.1),
            Answer("now-flagged", true, ["S1"], 0.7, "S1"),
            Answer("other-code", true, ["S2"], 0.9, "S2"),
            Answer("score-only", false, [], 0.4),
            Answer("only-in-b", false, [], 0.9, "S10"));

        var changed = RunComparison.Changed(a, b);

        // A score that moves without changing the answer is not a change.
        Assert.Equal(["now-flagged", "other-code"], changed.Select(c => c.Id));
        var text = RunComparison.Render(a, b, "a.json", "b.json");
        Assert.Contains("## Items whose answer changed (2)", text, StringComparison.Ordinal);
        Assert.Contains("| now-flagged | unsafe S1 | safe (allow, 0.2000) | unsafe S1 (block, 0.7000) |", text, StringComparison.Ordinal);
        Assert.Contains("Only in A: only-in-a. Only in B: only-in-b.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Measures_ShowBothAndTheDifference()
    {
        var a = Report(Answer("x", true, ["S1"], 0.9, "S1"), Answer("y", true, ["S1"], 0.1));
        var b = Report(Answer("x", true, ["S1"], 0.9, "S1"), Answer("y", true, ["S1"], 0.9, "S1"));

        var text = RunComparison.Render(a, b, "a.json", "b.json");

        // Recall 0.5 -> 1; precision 1 -> 1.
        Assert.Contains("| recall | 0.5000 | 1.0000 | +0.5000 |", text, StringComparison.Ordinal);
        Assert.Contains("| precision | 1.0000 | 1.0000 | 0.0000 |", text, StringComparison.Ordinal);
    }

    private static EvaluationReport Report(params EvaluatedItem[] items) =>
        EvaluationScorer.Score(Run("S1", "S2", "S10"), items, TestTaxonomy(), targetFalsePositiveRate: null);
}
