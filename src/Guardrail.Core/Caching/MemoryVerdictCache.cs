using Guardrail.Classification;

namespace Guardrail.Caching;

/// <summary>
/// The embedded verdict cache: a bounded least-recently-used map in this process, entries expiring after a fixed
/// time to live measured on the injected clock.
/// </summary>
public sealed class MemoryVerdictCache : IVerdictCache
{
    private readonly Dictionary<VerdictCacheKey, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new();
    private readonly Lock _gate = new();
    private readonly int _capacity;
    private readonly TimeSpan _timeToLive;
    private readonly TimeProvider _time;

    /// <summary>Creates the cache.</summary>
    /// <param name="capacity">Most entries kept; the least recently used is dropped first. At least 1.</param>
    /// <param name="timeToLive">How long an entry stays valid. Positive.</param>
    /// <param name="time">The clock expiry is measured on.</param>
    public MemoryVerdictCache(int capacity, TimeSpan timeToLive, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _capacity = capacity;
        _timeToLive = timeToLive;
        _time = time;
    }

    /// <summary>Entries currently held (expired ones included until they are looked up or pushed out).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<GuardVerdict?> GetAsync(VerdictCacheKey key, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                return ValueTask.FromResult<GuardVerdict?>(null);
            }

            if (node.Value.Expires <= now)
            {
                _entries.Remove(key);
                _recency.Remove(node);
                return ValueTask.FromResult<GuardVerdict?>(null);
            }

            _recency.Remove(node);
            _recency.AddFirst(node);
            return ValueTask.FromResult<GuardVerdict?>(node.Value.Verdict);
        }
    }

    /// <inheritdoc />
    public ValueTask SetAsync(VerdictCacheKey key, GuardVerdict verdict, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (!VerdictCacheCodec.IsCacheable(verdict))
        {
            return ValueTask.CompletedTask;
        }

        var entry = new Entry(key, verdict, _time.GetUtcNow() + _timeToLive);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                _recency.Remove(existing);
            }
            else if (_entries.Count >= _capacity && _recency.Last is { } oldest)
            {
                _entries.Remove(oldest.Value.Key);
                _recency.RemoveLast();
            }

            _entries[key] = _recency.AddFirst(entry);
        }

        return ValueTask.CompletedTask;
    }

    private sealed record Entry(VerdictCacheKey Key, GuardVerdict Verdict, DateTimeOffset Expires);
}
