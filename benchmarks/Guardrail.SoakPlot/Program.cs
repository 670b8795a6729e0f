using System.Globalization;
using ScottPlot;

// Usage: Guardrail.SoakPlot SAMPLES.csv OUT.png WARMUP_SECONDS [TITLE]
// samples.csv is what benchmarks/soak/driver.py writes: elapsed_s, rss_bytes, threads, handles, gc_heap_bytes,
// classifier_queue, audit_queue, requests, errors (a header row, then one row per sample).
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Guardrail.SoakPlot SAMPLES.csv OUT.png WARMUP_SECONDS [TITLE]");
    return 2;
}

var lines = File.ReadAllLines(args[0]);
var header = lines[0].Split(',');
var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
double[] Column(string name)
{
    var index = Array.IndexOf(header, name);
    return index < 0 ? throw new InvalidDataException($"{args[0]} has no column '{name}'.") : [.. rows.Select(r => r[index])];
}

var minutes = Column("elapsed_s").Select(s => s / 60).ToArray();
const double MiB = 1024 * 1024;

using var plot = new Plot();
void Series(string column, string label, Func<double, double> scale, bool right)
{
    var scatter = plot.Add.Scatter(minutes, [.. Column(column).Select(scale)]);
    scatter.LegendText = label;
    scatter.MarkerSize = 0;
    scatter.LineWidth = right ? 1 : 2;
    if (right)
    {
        scatter.LinePattern = LinePattern.Dashed;
        scatter.Axes.YAxis = plot.Axes.Right;
    }
}

Series("rss_bytes", "RSS (MiB)", b => b / MiB, right: false);
Series("gc_heap_bytes", "GC heap (MiB)", b => b / MiB, right: false);
Series("threads", "threads", v => v, right: true);
Series("handles", "open handles", v => v, right: true);
Series("classifier_queue", "classifier queue", v => v, right: true);
Series("audit_queue", "audit queue", v => v, right: true);

var warmup = plot.Add.VerticalLine(double.Parse(args[2], CultureInfo.InvariantCulture) / 60);
warmup.LinePattern = LinePattern.Dotted;
warmup.Color = Colors.Gray;
warmup.LegendText = "warm-up end";

plot.Title(args.Length > 3 ? args[3] : "Gateway soak run");
plot.XLabel("minutes");
plot.YLabel("MiB");
plot.Axes.Right.Label.Text = "count";
plot.Axes.SetLimitsX(0, minutes.Max());
plot.Axes.SetLimitsY(0, Column("rss_bytes").Max() / MiB * 1.15);
plot.Axes.SetLimitsY(0, Math.Max(10, new[] { "threads", "handles", "classifier_queue", "audit_queue" }.Max(c => Column(c).Max()) * 1.15), plot.Axes.Right);
plot.ShowLegend(Alignment.LowerRight);
plot.SavePng(args[1], 960, 540);
Console.WriteLine($"wrote {args[1]}");
return 0;
