using System.Collections.Concurrent;

namespace Guardrail.Gateway.Metrics;

/// <summary>Prometheus metric types this exporter writes.</summary>
internal enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One series of a family at collection time.</summary>
/// <param name="Labels">Label pairs sorted by name.</param>
/// <param name="Value">Counter or gauge value; the sum for a histogram.</param>
/// <param name="Count">Histogram observation count.</param>
/// <param name="BucketCounts">Cumulative counts per bucket upper bound (histograms only).</param>
internal sealed record MetricSeries(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, long Count, IReadOnlyList<long> BucketCounts);

/// <summary>A metric family at collection time.</summary>
internal sealed record MetricFamilySnapshot(string Name, string Help, MetricKind Kind, IReadOnlyList<double> Buckets, IReadOnlyList<MetricSeries> Series);

/// <summary>
/// The running aggregate of one instrument: a series per label set. Recording is lock-free per series except for
/// histograms, whose bucket, sum and count must move together.
/// </summary>
internal sealed class MetricFamily
{
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly bool _isObservable;

    public MetricFamily(string name, string help, MetricKind kind, double[] buckets, bool isObservable)
    {
        Name = name;
        Help = help;
        Kind = kind;
        Buckets = buckets;
        _isObservable = isObservable;
    }

    public string Name { get; }

    public string Help { get; }

    public MetricKind Kind { get; }

    public double[] Buckets { get; }

    /// <summary>Observable instruments report their current value at each collection; stale label sets are dropped.</summary>
    public void BeginObservation()
    {
        if (_isObservable)
        {
            _series.Clear();
        }
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            if (!MetricsRegistry.IsValidLabelName(tags[i].Key))
            {
                throw new InvalidOperationException($"Label name '{tags[i].Key}' on metric '{Name}' is not a valid Prometheus label name.");
            }

            labels[i] = new KeyValuePair<string, string>(tags[i].Key, Convert.ToString(tags[i].Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
        }

        Array.Sort(labels, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var key = MetricsRegistry.FormatLabels(labels);
        var series = _series.GetOrAdd(key, static (_, state) => new Series(state.labels, state.buckets), (labels, buckets: Kind == MetricKind.Histogram ? Buckets.Length : 0));

        switch (Kind)
        {
            case MetricKind.Counter when _isObservable:
            case MetricKind.Gauge when _isObservable:
                series.Set(value);
                break;
            case MetricKind.Counter:
            case MetricKind.Gauge:
                series.Add(value);
                break;
            case MetricKind.Histogram:
                series.Observe(value, Buckets);
                break;
        }
    }

    public MetricFamilySnapshot Snapshot()
    {
        var series = _series.Values
            .Select(s => s.Snapshot())
            .OrderBy(s => MetricsRegistry.FormatLabels(s.Labels), StringComparer.Ordinal)
            .ToList();
        return new MetricFamilySnapshot(Name, Help, Kind, Buckets, series);
    }

    private sealed class Series
    {
        private readonly Lock _gate = new();
        private readonly KeyValuePair<string, string>[] _labels;
        private readonly long[] _bucketCounts;
        private double _value;
        private long _count;

        public Series(KeyValuePair<string, string>[] labels, int buckets)
        {
            _labels = labels;
            _bucketCounts = new long[buckets];
        }

        public void Set(double value)
        {
            lock (_gate)
            {
                _value = value;
            }
        }

        public void Add(double value)
        {
            lock (_gate)
            {
                _value += value;
            }
        }

        public void Observe(double value, double[] bounds)
        {
            lock (_gate)
            {
                _value += value;
                _count++;
                for (var i = 0; i < bounds.Length; i++)
                {
                    if (value <= bounds[i])
                    {
                        _bucketCounts[i]++;
                    }
                }
            }
        }

        public MetricSeries Snapshot()
        {
            lock (_gate)
            {
                return new MetricSeries(_labels, _value, _count, [.. _bucketCounts]);
            }
        }
    }
}
