using System.Text;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// Writes metric families in the Prometheus text exposition format 0.0.4: <c># HELP</c> and <c># TYPE</c> lines,
/// then one line per series; histograms as cumulative <c>_bucket</c> lines ending in <c>le="+Inf"</c>, then
/// <c>_sum</c> and <c>_count</c>.
/// </summary>
internal static class PrometheusTextFormatter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Write(StringBuilder output, IEnumerable<MetricFamilySnapshot> families)
    {
        foreach (var family in families)
        {
            if (family.Series.Count == 0)
            {
                continue;
            }

            output.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            output.Append("# TYPE ").Append(family.Name).Append(' ').Append(TypeName(family.Kind)).Append('\n');
            foreach (var series in family.Series)
            {
                if (family.Kind == MetricKind.Histogram)
                {
                    WriteHistogram(output, family, series);
                }
                else
                {
                    WriteSample(output, family.Name, series.Labels, series.Value);
                }
            }
        }
    }

    private static void WriteHistogram(StringBuilder output, MetricFamilySnapshot family, MetricSeries series)
    {
        for (var i = 0; i < family.Buckets.Count; i++)
        {
            var labels = series.Labels.Append(new("le", MetricsRegistry.FormatValue(family.Buckets[i]))).ToList();
            WriteSample(output, family.Name + "_bucket", labels, series.BucketCounts[i]);
        }

        WriteSample(output, family.Name + "_bucket", [.. series.Labels, new("le", "+Inf")], series.Count);
        WriteSample(output, family.Name + "_sum", series.Labels, series.Value);
        WriteSample(output, family.Name + "_count", series.Labels, series.Count);
    }

    private static void WriteSample(StringBuilder output, string name, IReadOnlyList<KeyValuePair<string, string>> labels, double value)
    {
        output.Append(name).Append(MetricsRegistry.FormatLabels(labels)).Append(' ').Append(MetricsRegistry.FormatValue(value)).Append('\n');
    }

    private static string TypeName(MetricKind kind) => kind switch
    {
        MetricKind.Counter => "counter",
        MetricKind.Histogram => "histogram",
        _ => "gauge",
    };

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
