using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// Aggregates the measurements of this gateway's <see cref="Meter"/>s for Prometheus. It listens only to meters
/// created by this host's <see cref="IMeterFactory"/> whose names start with <c>Guardrail</c>, so two gateways in
/// one process (as in tests) never count each other's traffic. Instrument names are the Prometheus names, checked
/// against Prometheus's name rules when the instrument is published: a bad name fails loudly, not at scrape time.
/// </summary>
internal sealed partial class MetricsRegistry : IDisposable
{
    private const string MeterPrefix = "Guardrail";

    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly IMeterFactory _meterFactory;
    private readonly ConcurrentDictionary<Instrument, MetricFamily> _families = new();

    public MetricsRegistry(IMeterFactory meterFactory)
    {
        _meterFactory = meterFactory;
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.MeasurementsCompleted = (instrument, _) => _families.TryRemove(instrument, out MetricFamily? _);
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>A consistent view of every family, observable instruments read now, sorted by name.</summary>
    public IReadOnlyList<MetricFamilySnapshot> Collect()
    {
        foreach (var family in _families.Values)
        {
            family.BeginObservation();
        }

        _listener.RecordObservableInstruments();
        return [.. _families.Values.Select(f => f.Snapshot()).OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    public void Dispose() => _listener.Dispose();

    internal static bool IsValidMetricName(string name) => MetricNamePattern().IsMatch(name);

    internal static bool IsValidLabelName(string name) => LabelNamePattern().IsMatch(name) && !name.StartsWith("__", StringComparison.Ordinal);

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!ReferenceEquals(instrument.Meter.Scope, _meterFactory) || !instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal))
        {
            return;
        }

        if (!IsValidMetricName(instrument.Name))
        {
            throw new InvalidOperationException($"Metric name '{instrument.Name}' does not match Prometheus's [a-zA-Z_:][a-zA-Z0-9_:]*.");
        }

        var kind = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> => MetricKind.Counter,
            Histogram<long> or Histogram<int> or Histogram<double> => MetricKind.Histogram,
            _ => MetricKind.Gauge,
        };
        if (kind == MetricKind.Counter && !instrument.Name.EndsWith("_total", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Counter '{instrument.Name}' must end in _total.");
        }

        var buckets = instrument switch
        {
            Histogram<double> h when h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b => b.ToArray(),
            Histogram<long> h when h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b => b.Select(v => (double)v).ToArray(),
            _ => DefaultBuckets,
        };
        var isObservable = instrument.IsObservable;
        var family = new MetricFamily(instrument.Name, instrument.Description ?? instrument.Name, kind, buckets, isObservable);
        _families[instrument] = family;
        listener.EnableMeasurementEvents(instrument, family);
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex MetricNamePattern();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LabelNamePattern();

    internal static string FormatLabels(IReadOnlyList<KeyValuePair<string, string>> labels)
    {
        if (labels.Count == 0)
        {
            return string.Empty;
        }

        return "{" + string.Join(',', labels.Select(l => l.Key + "=\"" + EscapeLabelValue(l.Value) + "\"")) + "}";
    }

    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}
