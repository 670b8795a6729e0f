namespace Guardrail.Taxonomy;

/// <summary>A taxonomy file failed validation; <see cref="Errors"/> lists every problem with its position.</summary>
public sealed class TaxonomyValidationException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    public TaxonomyValidationException(IReadOnlyList<TaxonomyError> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates an exception with a message only (no positions).</summary>
    public TaxonomyValidationException()
        : this([])
    {
    }

    /// <summary>Creates an exception with a message only (no positions).</summary>
    public TaxonomyValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates an exception with a message and an inner exception (no positions).</summary>
    public TaxonomyValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<TaxonomyError> Errors { get; }

    private static string BuildMessage(IReadOnlyList<TaxonomyError> errors) =>
        errors.Count == 0
            ? "The taxonomy is not valid."
            : $"The taxonomy is not valid ({errors.Count} error(s)):{Environment.NewLine}"
                + string.Join(Environment.NewLine, errors.Select(static error => "  " + error));
}
