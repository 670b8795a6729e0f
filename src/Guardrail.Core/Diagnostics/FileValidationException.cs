namespace Guardrail.Diagnostics;

/// <summary>Files failed validation; <see cref="Errors"/> lists every problem with its position.</summary>
public sealed class FileValidationException : Exception
{
    /// <summary>Creates the exception from the errors found; <paramref name="summary"/> says what failed ("The policies are not valid").</summary>
    public FileValidationException(string summary, IReadOnlyList<FileDiagnostic> errors)
        : base(BuildMessage(summary, errors))
    {
        Errors = errors;
    }

    /// <summary>Creates an exception without positions.</summary>
    public FileValidationException()
        : this("The files are not valid", [])
    {
    }

    /// <summary>Creates an exception with a message only (no positions).</summary>
    public FileValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates an exception with a message and an inner exception (no positions).</summary>
    public FileValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every problem found, in file and line order.</summary>
    public IReadOnlyList<FileDiagnostic> Errors { get; }

    private static string BuildMessage(string summary, IReadOnlyList<FileDiagnostic> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 0
            ? summary + "."
            : $"{summary} ({errors.Count} error(s)):{Environment.NewLine}"
                + string.Join(Environment.NewLine, errors.Select(static error => "  " + error));
    }
}
