namespace Guardrail.Auditing;

/// <summary>A record could not be committed to the audit store.</summary>
public sealed class AuditWriteException : Exception
{
    public AuditWriteException()
        : this("The audit record could not be written.")
    {
    }

    public AuditWriteException(string message)
        : base(message)
    {
    }

    public AuditWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
