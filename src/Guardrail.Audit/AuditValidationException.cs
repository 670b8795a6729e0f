namespace Guardrail.Audit;

/// <summary>Arguments to the audit store were invalid; <see cref="Errors"/> lists every problem found.</summary>
public sealed class AuditValidationException : ArgumentException
{
    public AuditValidationException()
        : this([])
    {
    }

    public AuditValidationException(string message)
        : this([message])
    {
    }

    public AuditValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public AuditValidationException(IReadOnlyList<string> errors)
        : base(errors.Count == 0 ? "Invalid audit arguments." : string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; }
}
