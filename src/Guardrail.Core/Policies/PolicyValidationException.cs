namespace Guardrail.Policies;

/// <summary>Policies or taxonomies failed validation; <see cref="Errors"/> lists every problem with its position.</summary>
public sealed class PolicyValidationException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    public PolicyValidationException(IReadOnlyList<PolicyDiagnostic> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates an exception without positions.</summary>
    public PolicyValidationException()
        : this([])
    {
    }

    /// <summary>Creates an exception with a message only (no positions).</summary>
    public PolicyValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates an exception with a message and an inner exception (no positions).</summary>
    public PolicyValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found, in file and line order.</summary>
    public IReadOnlyList<PolicyDiagnostic> Errors { get; }

    private static string BuildMessage(IReadOnlyList<PolicyDiagnostic> errors) =>
        errors.Count == 0
            ? "The policies are not valid."
            : $"The policies are not valid ({errors.Count} error(s)):{Environment.NewLine}"
                + string.Join(Environment.NewLine, errors.Select(static error => "  " + error));
}
