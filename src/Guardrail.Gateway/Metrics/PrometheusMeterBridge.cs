using System.Buffers;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using Prometheus;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// Publishes this gateway's <see cref="System.Diagnostics.Metrics"/> instruments as prometheus-net metrics in the
/// gateway's own <see cref="CollectorRegistry"/>, which prometheus-net then writes as Prometheus text. It listens only
/// to meters created by this host's <see cref="IMeterFactory"/> whose names start with <c>Guardrail</c>, so two
/// gateways in one process (as in tests) never count each other's traffic.
/// </summary>
/// <remarks>
/// prometheus-net's own <c>MeterAdapter</c> does not fit (docs/operations.md, "Metrics"): it names a metric
/// <c>{meter}_{instrument}</c>, exports every counter as a gauge, and deletes a series that has not changed for a
/// while (at most a day), which would drop the zero series that alerts on <c>increase()</c> need. Here the instrument
/// name is the Prometheus name, counters stay counters, histograms keep the buckets their instrument advises, and a
/// series lives as long as the gateway (observable instruments excepted: they report what exists now).
/// </remarks>
internal sealed partial class PrometheusMeterBridge : IDisposable
{
    private const string MeterPrefix = "Guardrail";

    /// <summary>Buckets for histograms that advise none (in seconds, like every duration here).</summary>
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly IMeterFactory _meterFactory;
    private readonly IMetricFactory _metrics;
    private readonly Lock _observation = new();
    private readonly List<InstrumentBridge> _observables = [];

    public PrometheusMeterBridge(IMeterFactory meterFactory, CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _meterFactory = meterFactory;
        _metrics = Prometheus.Metrics.WithCustomRegistry(registry);

        // Exemplars would only appear in OpenMetrics scrapes, and only carry trace ids once tracing exists.
        _metrics.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((InstrumentBridge)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((InstrumentBridge)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentBridge)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentBridge)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentBridge)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentBridge)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((InstrumentBridge)state!).Record((double)value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(Observe);
    }

    public void Dispose() => _listener.Dispose();

    internal static bool IsValidMetricName(string name) => MetricNamePattern().IsMatch(name);

    internal static bool IsValidLabelName(string name) => LabelNamePattern().IsMatch(name) && !name.StartsWith("__", StringComparison.Ordinal);

    /// <summary>Reads the observable instruments for a scrape, and drops the series they no longer report.</summary>
    private void Observe()
    {
        lock (_observation)
        {
            foreach (var observable in _observables)
            {
                observable.BeginObservation();
            }

            _listener.RecordObservableInstruments();
            foreach (var observable in _observables)
            {
                observable.EndObservation();
            }
        }
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!ReferenceEquals(instrument.Meter.Scope, _meterFactory) || !instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal))
        {
            return;
        }

        // A bad name fails loudly where the instrument is created, not at scrape time.
        if (!IsValidMetricName(instrument.Name))
        {
            throw new InvalidOperationException($"Metric name '{instrument.Name}' does not match Prometheus's [a-zA-Z_:][a-zA-Z0-9_:]*.");
        }

        var kind = KindOf(instrument);
        if (kind is InstrumentKind.Counter or InstrumentKind.ObservableCounter && !instrument.Name.EndsWith("_total", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Counter '{instrument.Name}' must end in _total.");
        }

        var bridge = new InstrumentBridge(instrument, kind, _metrics);
        if (instrument.IsObservable)
        {
            lock (_observation)
            {
                _observables.Add(bridge);
            }
        }

        listener.EnableMeasurementEvents(instrument, bridge);
    }

    private static InstrumentKind KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (definition == typeof(Counter<>))
        {
            return InstrumentKind.Counter;
        }

        if (definition == typeof(ObservableCounter<>))
        {
            return InstrumentKind.ObservableCounter;
        }

        if (definition == typeof(UpDownCounter<>))
        {
            return InstrumentKind.UpDownCounter;
        }

        if (definition == typeof(Histogram<>))
        {
            return InstrumentKind.Histogram;
        }

        // Gauge<T>, ObservableGauge<T> and ObservableUpDownCounter<T> all report the current value.
        return instrument.IsObservable ? InstrumentKind.ObservableGauge : InstrumentKind.Gauge;
    }

    private static double[] BucketsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => [.. b],
        Histogram<float> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => [.. b.Select(static v => (double)v)],
        Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => [.. b.Select(static v => (double)v)],
        Histogram<int> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => [.. b.Select(static v => (double)v)],
        Histogram<short> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => [.. b.Select(static v => (double)v)],
        Histogram<byte> { Advice.HistogramBucketBoundaries: { Count: > 0 } b } => [.. b.Select(static v => (double)v)],
        _ => DefaultBuckets,
    };

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex MetricNamePattern();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LabelNamePattern();

    private enum InstrumentKind
    {
        Counter,
        ObservableCounter,
        UpDownCounter,
        Gauge,
        ObservableGauge,
        Histogram,
    }

    /// <summary>
    /// One instrument's prometheus-net metric. Instruments do not declare their tag names, so the metric is created at
    /// the first measurement with that measurement's tag names (sorted); an instrument must always use the same ones.
    /// </summary>
    private sealed class InstrumentBridge(Instrument instrument, InstrumentKind kind, IMetricFactory metrics)
    {
        private readonly Lock _gate = new();
        private readonly HashSet<string> _observed = new(StringComparer.Ordinal);
        // Written once, names first, under _gate; read without it on the fast path.
        private volatile string[]? _labelNames;
        private volatile Collector? _collector;

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            // Measurements come on every request: the label scratch space is rented, not allocated.
            var labelArray = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(tags.Length);
            var valueArray = ArrayPool<string>.Shared.Rent(tags.Length);
            try
            {
                var labels = labelArray.AsSpan(0, tags.Length);
                for (var i = 0; i < tags.Length; i++)
                {
                    labels[i] = new(tags[i].Key, Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? string.Empty);
                }

                if (!IsSorted(labels))
                {
                    labels.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                }

                var values = valueArray.AsSpan(0, tags.Length);
                for (var i = 0; i < labels.Length; i++)
                {
                    values[i] = labels[i].Value;
                }

                Record(value, CollectorFor(labels), values);
            }
            finally
            {
                ArrayPool<KeyValuePair<string, string>>.Shared.Return(labelArray, clearArray: true);
                ArrayPool<string>.Shared.Return(valueArray, clearArray: true);
            }
        }

        private void Record(double value, Collector collector, ReadOnlySpan<string> values)
        {
            switch (kind)
            {
                case InstrumentKind.Counter:
                    ((Counter)collector).WithLabels(values).Inc(value);
                    break;
                case InstrumentKind.ObservableCounter:
                    SetCounter((Counter)collector, values.ToArray(), value);
                    break;
                case InstrumentKind.UpDownCounter:
                    ((Gauge)collector).WithLabels(values).Inc(value);
                    break;
                case InstrumentKind.Gauge:
                case InstrumentKind.ObservableGauge:
                    ((Gauge)collector).WithLabels(values).Set(value);
                    break;
                case InstrumentKind.Histogram:
                    ((Histogram)collector).WithLabels(values).Observe(value);
                    break;
            }

            if (instrument.IsObservable)
            {
                lock (_gate)
                {
                    _observed.Add(string.Join('\u001f', values));
                }
            }
        }

        public void BeginObservation()
        {
            lock (_gate)
            {
                _observed.Clear();
            }
        }

        /// <summary>Removes the series an observable instrument did not report in this observation.</summary>
        public void EndObservation()
        {
            if (_collector is not { } collector || _labelNames is not { Length: > 0 })
            {
                return;
            }

            var stale = new List<string[]>();
            lock (_gate)
            {
                foreach (var values in AllLabelValues(collector))
                {
                    if (!_observed.Contains(string.Join('\u001f', values)))
                    {
                        stale.Add(values);
                    }
                }
            }

            foreach (var values in stale)
            {
                Remove(collector, values);
            }
        }

        private static IEnumerable<string[]> AllLabelValues(Collector collector) => collector switch
        {
            Counter counter => counter.GetAllLabelValues(),
            Gauge gauge => gauge.GetAllLabelValues(),
            Histogram histogram => histogram.GetAllLabelValues(),
            _ => [],
        };

        private static void Remove(Collector collector, string[] values)
        {
            switch (collector)
            {
                case Counter counter:
                    counter.RemoveLabelled(values);
                    break;
                case Gauge gauge:
                    gauge.RemoveLabelled(values);
                    break;
                case Histogram histogram:
                    histogram.RemoveLabelled(values);
                    break;
            }
        }

        /// <summary>
        /// An observable counter reports its total: it moves the counter up to it, and a smaller total (the source
        /// started over, e.g. a reloaded engine) starts the series over, which Prometheus reads as a counter reset.
        /// </summary>
        private static void SetCounter(Counter counter, string[] values, double total)
        {
            var child = counter.WithLabels(values);
            if (total < child.Value)
            {
                counter.RemoveLabelled(values);
                child = counter.WithLabels(values);
            }

            child.IncTo(total);
        }

        private Collector CollectorFor(ReadOnlySpan<KeyValuePair<string, string>> labels)
        {
            if (_collector is { } existing && SameNames(_labelNames!, labels))
            {
                // _labelNames is set before _collector, so a collector seen here has its names.
                return existing;
            }

            lock (_gate)
            {
                if (_collector is null)
                {
                    var names = new string[labels.Length];
                    for (var i = 0; i < labels.Length; i++)
                    {
                        names[i] = IsValidLabelName(labels[i].Key)
                            ? labels[i].Key
                            : throw new InvalidOperationException($"Label name '{labels[i].Key}' on metric '{instrument.Name}' is not a valid Prometheus label name.");
                    }

                    // prometheus-net writes help text as given; a line break would end the HELP line early.
                    var help = (instrument.Description ?? instrument.Name).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
                    Collector created = kind switch
                    {
                        InstrumentKind.Counter or InstrumentKind.ObservableCounter => metrics.CreateCounter(instrument.Name, help, names),
                        InstrumentKind.Histogram => metrics.CreateHistogram(instrument.Name, help, names, new HistogramConfiguration { Buckets = BucketsOf(instrument) }),
                        _ => metrics.CreateGauge(instrument.Name, help, names),
                    };
                    _labelNames = names;
                    _collector = created;
                }

                return SameNames(_labelNames!, labels)
                    ? _collector
                    : throw new InvalidOperationException(
                        $"Metric '{instrument.Name}' was recorded with labels ({string.Join(", ", labels.ToArray().Select(static l => l.Key))}) after ({string.Join(", ", _labelNames!)}): an instrument must always use the same label names.");
            }
        }

        private static bool IsSorted(ReadOnlySpan<KeyValuePair<string, string>> labels)
        {
            for (var i = 1; i < labels.Length; i++)
            {
                if (string.CompareOrdinal(labels[i - 1].Key, labels[i].Key) > 0)
                {
                    return false;
                }
            }

            return true;
        }

        private static bool SameNames(string[] names, ReadOnlySpan<KeyValuePair<string, string>> labels)
        {
            if (names.Length != labels.Length)
            {
                return false;
            }

            for (var i = 0; i < names.Length; i++)
            {
                if (!string.Equals(names[i], labels[i].Key, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
