namespace Guardrail.LlamaCpp.Classification;

/// <summary>Why <see cref="FairQueue{T}.TryAdd"/> did not queue an item.</summary>
internal enum FairQueueRefusal
{
    /// <summary>Queued.</summary>
    None,

    /// <summary>The whole queue holds its capacity.</summary>
    QueueFull,

    /// <summary>The item's tenant holds its share of the queue.</summary>
    TenantShareFull,

    /// <summary>The queue takes no more items (shutting down).</summary>
    Closed,
}

/// <summary>
/// A bounded queue of per-tenant FIFO queues, drained by weighted round robin (deficit round robin where every item
/// costs one): each tenant with waiting items in turn gives up to its weight of items, so while several tenants wait,
/// a tenant's share of what is taken is its weight over the waiting tenants' total, however many items it queued.
/// A tenant may hold at most <see cref="TenantCapacity"/> items, so one tenant's flood leaves room for the others.
/// </summary>
/// <remarks>
/// One lock guards everything: the queue is touched once per check by a caller and once per check by the worker,
/// which is nothing next to a decode. Tenants without waiting items are forgotten, so the state is bounded by the
/// capacity, whatever tenant names arrive.
/// </remarks>
internal sealed class FairQueue<T>
{
    private readonly object _lock = new();
    private readonly Dictionary<string, TenantQueue> _tenants = new(StringComparer.Ordinal);

    // Tenants with waiting items, in round order; the first is the one being served.
    private readonly LinkedList<TenantQueue> _round = new();
    private readonly Func<string, int> _weightOf;
    private int _count;
    private bool _closed;

    /// <param name="capacity">Most items waiting, all tenants together.</param>
    /// <param name="tenantCapacity">Most items one tenant may have waiting.</param>
    /// <param name="weightOf">A tenant's weight (items per turn, at least 1).</param>
    public FairQueue(int capacity, int tenantCapacity, Func<string, int> weightOf)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tenantCapacity, 1);
        ArgumentNullException.ThrowIfNull(weightOf);
        Capacity = capacity;
        TenantCapacity = Math.Min(tenantCapacity, capacity);
        _weightOf = weightOf;
    }

    /// <summary>Most items waiting, all tenants together.</summary>
    public int Capacity { get; }

    /// <summary>Most items one tenant may have waiting.</summary>
    public int TenantCapacity { get; }

    /// <summary>Items waiting, all tenants together.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Items <paramref name="tenant"/> has waiting.</summary>
    public int CountOf(string tenant)
    {
        lock (_lock)
        {
            return _tenants.TryGetValue(tenant, out var queue) ? queue.Items.Count : 0;
        }
    }

    /// <summary>The waiting items per tenant, for metrics (tenants with none left out).</summary>
    public IReadOnlyDictionary<string, int> CountsByTenant()
    {
        lock (_lock)
        {
            return _tenants.ToDictionary(static pair => pair.Key, static pair => pair.Value.Items.Count, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// How many items would be taken before one more item of <paramref name="tenant"/> if it were queued now: its
    /// own waiting items, and what each other waiting tenant gives in the rounds until the new item's turn.
    /// </summary>
    public int ItemsAhead(string tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        lock (_lock)
        {
            var own = _tenants.TryGetValue(tenant, out var queue) ? queue.Items.Count : 0;
            var weight = queue?.Weight ?? Math.Max(1, _weightOf(tenant));
            var rounds = (own / weight) + 1;
            var ahead = own;
            foreach (var other in _round)
            {
                if (!ReferenceEquals(other, queue))
                {
                    ahead += (int)Math.Min(other.Items.Count, (long)rounds * other.Weight);
                }
            }

            return ahead;
        }
    }

    /// <summary>Queues <paramref name="item"/> for <paramref name="tenant"/>, or says why not (never blocks).</summary>
    public FairQueueRefusal TryAdd(string tenant, T item)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        lock (_lock)
        {
            if (_closed)
            {
                return FairQueueRefusal.Closed;
            }

            if (_count >= Capacity)
            {
                return FairQueueRefusal.QueueFull;
            }

            if (!_tenants.TryGetValue(tenant, out var queue))
            {
                queue = new TenantQueue(tenant, Math.Max(1, _weightOf(tenant)));
                _tenants.Add(tenant, queue);
            }

            if (queue.Items.Count >= TenantCapacity)
            {
                return FairQueueRefusal.TenantShareFull;
            }

            if (queue.Items.Count == 0)
            {
                _round.AddLast(queue);
            }

            queue.Items.Enqueue(item);
            _count++;
            Monitor.Pulse(_lock);
            return FairQueueRefusal.None;
        }
    }

    /// <summary>Takes the next item in round order without waiting; false when none waits.</summary>
    public bool TryTake(out T item)
    {
        lock (_lock)
        {
            return TakeLocked(out item);
        }
    }

    /// <summary>
    /// Waits for the next item in round order; false once the queue is closed and empty (the worker's end).
    /// </summary>
    public bool Take(out T item)
    {
        lock (_lock)
        {
            while (_count == 0 && !_closed)
            {
                Monitor.Wait(_lock);
            }

            return TakeLocked(out item);
        }
    }

    /// <summary>Takes no more items; <see cref="Take"/> returns what is left, then false.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            Monitor.PulseAll(_lock);
        }
    }

    private bool TakeLocked(out T item)
    {
        if (_round.First is not { } node)
        {
            item = default!;
            return false;
        }

        var queue = node.Value;
        if (queue.Credit == 0)
        {
            // The tenant's turn starts: it may give up to its weight of items.
            queue.Credit = queue.Weight;
        }

        item = queue.Items.Dequeue();
        queue.Credit--;
        _count--;
        if (queue.Items.Count == 0)
        {
            // An idle tenant keeps no credit: it starts its next turn afresh.
            _round.Remove(node);
            _tenants.Remove(queue.Tenant);
        }
        else if (queue.Credit == 0)
        {
            _round.Remove(node);
            _round.AddLast(node);
        }

        return true;
    }

    private sealed class TenantQueue(string tenant, int weight)
    {
        public string Tenant { get; } = tenant;

        public int Weight { get; } = weight;

        public Queue<T> Items { get; } = new();

        public int Credit { get; set; }
    }
}
