namespace Guardrail.Auditing;

/// <summary>Where the moderation path records its decisions (step 9 of a request).</summary>
public interface IAuditSink
{
    /// <summary>Records one decision.</summary>
    /// <param name="record">The decision. Its content is reduced per retention mode by the sink, not by the caller.</param>
    /// <param name="durability">Whether to wait for the commit (<see cref="AuditDurability.Full"/>) or only for the queue.</param>
    /// <param name="cancellationToken">Cancels waiting; a record already queued is still written.</param>
    /// <exception cref="AuditQueueFullException">The queue stayed full for longer than the sink's enqueue timeout.</exception>
    /// <exception cref="AuditWriteException">A <see cref="AuditDurability.Full"/> write failed to commit.</exception>
    ValueTask WriteAsync(AuditRecord record, AuditDurability durability, CancellationToken cancellationToken);
}
