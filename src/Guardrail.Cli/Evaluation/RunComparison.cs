using System.Text;

namespace Guardrail.Cli.Evaluation;

/// <summary>
/// <c>guardrail eval --compare A.json B.json</c>: two runs side by side (two models, two policies or two thresholds
/// on one set), every measure with its difference, and exactly the items whose answer changed.
/// </summary>
internal static class RunComparison
{
    /// <summary>An item whose answer differs between the runs (matched by id).</summary>
    public sealed record ChangedItem(string Id, EvaluatedItem Before, EvaluatedItem After);

    /// <summary>The items in both runs whose verdict, flag, or named categories differ, in the first run's order.</summary>
    public static IReadOnlyList<ChangedItem> Changed(EvaluationReport a, EvaluationReport b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var after = b.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        return [.. a.Items
            .Where(i => after.TryGetValue(i.Id, out var other) && !SameAnswer(i, other))
            .Select(i => new ChangedItem(i.Id, i, after[i.Id]))];
    }

    public static string Render(EvaluationReport a, EvaluationReport b, string nameA, string nameB)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');

        Line($"# Comparison: A = {nameA}, B = {nameB}");
        Line();
        Line("| | A | B |");
        Line("|---|---|---|");
        Line($"| model | {a.Run.Model} | {b.Run.Model} |");
        Line($"| policy | `{a.Run.PolicyId}` {a.Run.PolicyVersion} | `{b.Run.PolicyId}` {b.Run.PolicyVersion} |");
        Line($"| threshold | {MarkdownReport.Number(a.Run.Threshold)} | {MarkdownReport.Number(b.Run.Threshold)} |");
        Line($"| set | {Path.GetFileName(a.Run.SetFile)} ({a.Run.SetSha256[..12]}) | {Path.GetFileName(b.Run.SetFile)} ({b.Run.SetSha256[..12]}) |");
        Line();
        if (!string.Equals(a.Run.SetSha256, b.Run.SetSha256, StringComparison.Ordinal))
        {
            Line("The runs are on different sets: only items with the same id are compared.");
            Line();
        }

        Line("| measure | A | B | B - A |");
        Line("|---|---|---|---|");
        Measure(text, "precision", a.Overall.Precision, b.Overall.Precision);
        Measure(text, "recall", a.Overall.Recall, b.Overall.Recall);
        Measure(text, "F1", a.Overall.F1, b.Overall.F1);
        Measure(text, "false-positive rate", a.Overall.FalsePositiveRate, b.Overall.FalsePositiveRate);
        Measure(text, "ROC area", a.Roc.Area, b.Roc.Area);
        Measure(text, "average precision", a.PrecisionRecall.Area, b.PrecisionRecall.Area);
        Measure(text, "error verdicts", a.Errors, b.Errors);
        var categories = a.Categories.Select(c => c.Code).Union(b.Categories.Select(c => c.Code), StringComparer.Ordinal);
        foreach (var code in categories)
        {
            var ca = a.Categories.FirstOrDefault(c => string.Equals(c.Code, code, StringComparison.Ordinal))?.Measures;
            var cb = b.Categories.FirstOrDefault(c => string.Equals(c.Code, code, StringComparison.Ordinal))?.Measures;
            Measure(text, $"{code} F1", ca?.F1, cb?.F1);
        }

        Line();
        var changed = Changed(a, b);
        Line($"## Items whose answer changed ({changed.Count})");
        Line();
        if (changed.Count > 0)
        {
            Line("| id | expected | A | B |");
            Line("|---|---|---|---|");
            foreach (var item in changed)
            {
                var expected = item.Before.ExpectedUnsafe ? "unsafe " + string.Join(",", item.Before.ExpectedCategories) : "safe";
                Line($"| {item.Id} | {expected.Trim()} | {Answer(item.Before)} | {Answer(item.After)} |");
            }

            Line();
        }

        var onlyA = a.Items.Select(i => i.Id).Except(b.Items.Select(i => i.Id), StringComparer.Ordinal).ToList();
        var onlyB = b.Items.Select(i => i.Id).Except(a.Items.Select(i => i.Id), StringComparer.Ordinal).ToList();
        if (onlyA.Count + onlyB.Count > 0)
        {
            Line($"Only in A: {(onlyA.Count == 0 ? "none" : string.Join(", ", onlyA))}. Only in B: {(onlyB.Count == 0 ? "none" : string.Join(", ", onlyB))}.");
        }

        return text.ToString();
    }

    private static bool SameAnswer(EvaluatedItem a, EvaluatedItem b) =>
        a.PredictedUnsafe == b.PredictedUnsafe
        && string.Equals(a.Verdict, b.Verdict, StringComparison.Ordinal)
        && a.Categories.ToHashSet(StringComparer.Ordinal).SetEquals(b.Categories);

    private static string Answer(EvaluatedItem item) =>
        $"{item.Verdict}{(item.Categories.Count > 0 ? " " + string.Join(",", item.Categories) : "")} ({item.Action}, {MarkdownReport.Number(item.Score)})";

    private static void Measure(StringBuilder text, string name, double? a, double? b) =>
        text.Append($"| {name} | {MarkdownReport.Number(a)} | {MarkdownReport.Number(b)} | {(a is { } x && b is { } y ? (y - x).ToString("+0.0000;-0.0000;0.0000", System.Globalization.CultureInfo.InvariantCulture) : "n/a")} |\n");
}
