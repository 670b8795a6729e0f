namespace Guardrail.Auditing;

/// <summary>The audit queue stayed full for the whole enqueue timeout; the record was not accepted.</summary>
/// <remarks>Callers decide what a lost audit record means for the request: the gateway fails it rather than
/// answer without a record.</remarks>
public sealed class AuditQueueFullException : Exception
{
    public AuditQueueFullException()
        : this("The audit queue is full.")
    {
    }

    public AuditQueueFullException(string message)
        : base(message)
    {
    }

    public AuditQueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
