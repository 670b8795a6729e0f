namespace Guardrail.Gateway.Limits;

/// <summary>
/// Buckets in this process. Bucket names come from configured keys and tenants (and <c>anonymous</c>), a closed
/// set, so the table never grows with traffic.
/// </summary>
internal sealed class MemoryLimitStore : ILimitStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, double> _tats = new(StringComparer.Ordinal);

    public ValueTask<(bool Allowed, double Tat)> TakeAsync(string key, LimitBucket bucket, double nowMilliseconds, long cost, bool force, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var result = bucket.Take(_tats.TryGetValue(key, out var tat) ? tat : null, nowMilliseconds, cost, force);
            _tats[key] = result.Tat;
            return ValueTask.FromResult(result);
        }
    }
}
