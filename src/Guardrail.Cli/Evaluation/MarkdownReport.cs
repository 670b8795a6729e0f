using System.Globalization;
using System.Text;

namespace Guardrail.Cli.Evaluation;

/// <summary>
/// <c>report.md</c>: the report for people. Every number is a field of <c>eval.json</c> rounded to four decimals, so
/// the two never disagree (a test reads them back).
/// </summary>
internal static class MarkdownReport
{
    public const string RocPlot = "roc.png";
    public const string PrecisionRecallPlot = "precision-recall.png";

    public static string Render(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var run = report.Run;
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');

        Line($"# Evaluation of `{run.PolicyId}` on {Path.GetFileName(run.SetFile)}");
        Line();
        Line($"- Model: {run.Model} ({run.Variant})");
        Line($"- Policy: `{run.PolicyId}` version {run.PolicyVersion}, threshold {Number(run.Threshold)}; categories sent: {string.Join(", ", run.CategoriesSent)}");
        Line($"- Set: `{run.SetFile}` (sha256 {run.SetSha256}), direction {run.Direction}, {Count(report.Items.Count)} items, {Count(report.Errors)} error verdicts");
        Line($"- Run: {run.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)}, {Number(run.Seconds, "0.0")} s, {Number(run.ItemsPerSecond, "0.00")} items/s, {Number(run.DecodeSeconds, "0.0")} s of it in llama.cpp's decode");
        Line();

        Line("## Overall, at the policy's threshold");
        Line();
        Line("Unsafe means flagged or blocked by the policy; an error verdict counts as its `on_error` decides.");
        Line();
        Line("| items | TP | FP | FN | TN | precision | recall | F1 | false-positive rate |");
        Line("|---|---|---|---|---|---|---|---|---|");
        Line($"| {Count(report.Items.Count)} | {Counts(report.Overall)} | {Rates(report.Overall)} |");
        Line();

        Line("## Threshold on P(unsafe)");
        Line();
        Line($"ROC area: {Number(report.Roc.Area)}. Average precision (area under precision/recall): {Number(report.PrecisionRecall.Area)}. Error verdicts have no score and are outside the curves.");
        Line();
        if (report.Recommendation is { } recommendation)
        {
            var rule = string.Equals(recommendation.Rule, "target_fpr", StringComparison.Ordinal)
                ? $"the highest recall with a false-positive rate at most {Number(recommendation.TargetFalsePositiveRate)}"
                : "the highest F1";
            Line($"Recommended for {rule}: `threshold: {recommendation.Threshold.ToString("R", CultureInfo.InvariantCulture)}` in the policy file, giving:");
            Line();
            Line("| TP | FP | FN | TN | precision | recall | F1 | false-positive rate |");
            Line("|---|---|---|---|---|---|---|---|");
            Line($"| {Counts(recommendation.Measures)} | {Rates(recommendation.Measures)} |");
        }
        else
        {
            Line(report.Items.Any(i => i.Score is not null)
                ? "No threshold meets the target false-positive rate: flagging only the highest-scoring items already exceeds it."
                : "No threshold can be recommended: no item has a score.");
        }

        Line();
        Line($"![ROC curve]({RocPlot}) ![Precision/recall curve]({PrecisionRecallPlot})");
        Line();

        Line("## Per category");
        Line();
        Line("Positives are items expected to violate the category; a flag is an item the model named it for and the policy flagged or blocked.");
        Line();
        Line("| code | name | sent | TP | FP | FN | TN | precision | recall | F1 | false-positive rate |");
        Line("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var category in report.Categories)
        {
            Line($"| {category.Code} | {category.Name} | {(category.Sent ? "yes" : "no")} | {Counts(category.Measures)} | {Rates(category.Measures)} |");
        }

        Line();
        Line("## Confusion between categories");
        Line();
        Line("Rows: the expected categories; columns: the categories the model named (`safe`: none; `unsafe`: unsafe without a code). An item adds one to each pair.");
        Line();
        Line("| expected \\ named | " + string.Join(" | ", report.Confusion.Labels) + " |");
        Line("|---|" + string.Concat(report.Confusion.Labels.Select(_ => "---|")));
        for (var row = 0; row < report.Confusion.Labels.Count; row++)
        {
            Line($"| {report.Confusion.Labels[row]} | " + string.Join(" | ", report.Confusion.Counts[row].Select(Count)) + " |");
        }

        Line();
        var mistakes = report.Mistakes.ToList();
        Line($"## Items to review ({Count(mistakes.Count)})");
        Line();
        if (mistakes.Count == 0)
        {
            Line("Every item was answered as expected.");
            return text.ToString();
        }

        Line("| id | line | direction | expected | verdict | P(unsafe) | categories | action | error |");
        Line("|---|---|---|---|---|---|---|---|---|");
        foreach (var item in mistakes)
        {
            Line($"| {Cell(item.Id)} | {Count(item.Line)} | {item.Direction} | {Expected(item)} | {item.Verdict} | {Number(item.Score)} | {Codes(item.Categories)} | {item.Action} | {Cell(item.Error ?? "")} |");
        }

        return text.ToString();
    }

    /// <summary>Four decimals, invariant; n/a for an undefined measure.</summary>
    public static string Number(double? value, string format = "0.0000") =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Counts(Measures m) => $"{Count(m.TruePositives)} | {Count(m.FalsePositives)} | {Count(m.FalseNegatives)} | {Count(m.TrueNegatives)}";

    private static string Rates(Measures m) => $"{Number(m.Precision)} | {Number(m.Recall)} | {Number(m.F1)} | {Number(m.FalsePositiveRate)}";

    private static string Expected(EvaluatedItem item) =>
        item.ExpectedUnsafe ? "unsafe " + Codes(item.ExpectedCategories) : "safe";

    private static string Codes(IReadOnlyList<string> codes) => codes.Count == 0 ? "-" : string.Join(",", codes);

    /// <summary>Text that cannot break the table: pipes escaped, line breaks as spaces.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
