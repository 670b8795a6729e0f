namespace Guardrail.Auditing;

/// <summary>When <see cref="IAuditSink.WriteAsync"/> may complete.</summary>
public enum AuditDurability
{
    /// <summary>Once the record is queued; the background writer commits it within a bounded delay. A process
    /// crash can lose records still in the queue.</summary>
    Normal,

    /// <summary>Only after the record is committed and synced to disk. Use for blocked decisions, before the
    /// refusal is sent, so that every refusal a client saw can be found after a crash.</summary>
    Full,

    /// <summary>Only if the queue is less than half full, without waiting; otherwise the record is dropped and
    /// counted. For records whose loss costs little, such as a request refused by a rate limit: a flood of refused
    /// requests must never take the queue's room from decisions.</summary>
    BestEffort,
}
