using ScottPlot;

namespace Guardrail.Cli.Evaluation;

/// <summary>The report's ROC and precision/recall curves as PNG files (ScottPlot, rendered headless by SkiaSharp).</summary>
internal static class CurvePlots
{
    private const int Width = 640;
    private const int Height = 480;

    /// <summary>Writes <see cref="MarkdownReport.RocPlot"/> and <see cref="MarkdownReport.PrecisionRecallPlot"/> into <paramref name="directory"/>.</summary>
    public static void Write(EvaluationReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        var roc = report.Roc.Points.Where(p => p.FalsePositiveRate is not null && p.Recall is not null).ToList();
        Save(
            Path.Combine(directory, MarkdownReport.RocPlot),
            $"ROC (area {MarkdownReport.Number(report.Roc.Area)})",
            "False-positive rate",
            "Recall (true-positive rate)",
            [.. roc.Select(p => p.FalsePositiveRate!.Value)],
            [.. roc.Select(p => p.Recall!.Value)],
            diagonal: true);

        var pr = report.PrecisionRecall.Points.Where(p => p.Recall is not null && p.Precision is not null).ToList();
        Save(
            Path.Combine(directory, MarkdownReport.PrecisionRecallPlot),
            $"Precision/recall (average precision {MarkdownReport.Number(report.PrecisionRecall.Area)})",
            "Recall",
            "Precision",
            [.. pr.Select(p => p.Recall!.Value)],
            [.. pr.Select(p => p.Precision!.Value)],
            diagonal: false);
    }

    private static void Save(string path, string title, string xLabel, string yLabel, double[] xs, double[] ys, bool diagonal)
    {
        using var plot = new Plot();
        if (diagonal)
        {
            var chance = plot.Add.Line(0, 0, 1, 1);
            chance.LinePattern = LinePattern.Dashed;
            chance.LineColor = Colors.Gray;
        }

        if (xs.Length > 0)
        {
            var curve = plot.Add.Scatter(xs, ys);
            curve.LineWidth = 2;
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);
        plot.SavePng(path, Width, Height);
    }
}
