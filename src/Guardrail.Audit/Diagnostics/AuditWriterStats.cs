namespace Guardrail.Audit.Diagnostics;

/// <summary>A snapshot of the audit writer's counters since the store opened.</summary>
public sealed record AuditWriterStats
{
    /// <summary>Records waiting for the writer now.</summary>
    public int QueueDepth { get; init; }

    public int QueueCapacity { get; init; }

    /// <summary>Records committed.</summary>
    public long RecordsWritten { get; init; }

    /// <summary>Records that failed to commit (each is logged with its id).</summary>
    public long WriteErrors { get; init; }

    /// <summary>Writes that found the queue full and waited.</summary>
    public long QueueFullEvents { get; init; }

    /// <summary>Writes refused after waiting the whole enqueue timeout.</summary>
    public long Rejected { get; init; }

    /// <summary>Transactions committed.</summary>
    /// <summary>Best-effort records not written because the queue was half full.</summary>
    public long Dropped { get; init; }

    public long Batches { get; init; }

    public int LargestBatch { get; init; }

    public long RecordsPurged { get; init; }
}
