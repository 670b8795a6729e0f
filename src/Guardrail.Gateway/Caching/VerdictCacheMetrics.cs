using System.Diagnostics.Metrics;

namespace Guardrail.Gateway.Caching;

/// <summary>
/// The verdict cache's instruments on the <c>Guardrail.Cache</c> meter. Labels come from closed sets: the store
/// (<c>memory</c>, <c>redis</c>), the operation (<c>get</c>, <c>set</c>) and the error reason.
/// </summary>
internal sealed class VerdictCacheMetrics : IDisposable
{
    public const string MeterName = "Guardrail.Cache";

    private readonly Meter _meter;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _errors;
    private readonly KeyValuePair<string, object?> _store;
    private Func<int>? _breakerState;

    public VerdictCacheMetrics(IMeterFactory meterFactory, string store)
    {
        _meter = meterFactory.Create(MeterName);
        _store = new("store", store);
        _hits = _meter.CreateCounter<long>("guardrail_cache_hits_total", description: "Verdict cache lookups that found a verdict, by store.");
        _misses = _meter.CreateCounter<long>("guardrail_cache_misses_total", description: "Verdict cache lookups that found none, by store.");
        _errors = _meter.CreateCounter<long>("guardrail_cache_errors_total", description: "Verdict cache operations skipped, by store, operation and reason (failure, timeout, circuit_open).");
        _meter.CreateObservableGauge(
            "guardrail_cache_breaker_state",
            () => new Measurement<int>(_breakerState?.Invoke() ?? 0, _store),
            description: "The cache circuit breaker: 0 closed, 1 half-open, 2 open (cache skipped).");

        // The configured store's series exist from the start, so that increase() sees the first error or miss.
        _hits.Add(0, _store);
        _misses.Add(0, _store);
        foreach (var operation in (string[])["get", "set"])
        {
            foreach (var reason in (string[])["failure", "timeout", "circuit_open"])
            {
                _errors.Add(0, _store, new("operation", operation), new("reason", reason));
            }
        }
    }

    /// <summary>Reports the breaker's state through the gauge (0 closed, 1 half-open, 2 open).</summary>
    public void ObserveBreaker(Func<int> state) => _breakerState = state;

    public void Hit() => _hits.Add(1, _store);

    public void Miss() => _misses.Add(1, _store);

    public void Error(string operation, string reason)
    {
        if (_errors.Enabled)
        {
            _errors.Add(1, _store, new("operation", operation), new("reason", reason));
        }
    }

    public void Dispose() => _meter.Dispose();
}
