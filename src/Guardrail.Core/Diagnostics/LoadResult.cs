namespace Guardrail.Diagnostics;

/// <summary>The outcome of loading configuration files: the value, or every error found with its position.</summary>
/// <typeparam name="T">What the files make (a policy snapshot, a taxonomy).</typeparam>
public sealed record LoadResult<T>
    where T : class
{
    /// <summary>What failed, such as "The policies are not valid": the start of the exception's message.</summary>
    public required string FailureSummary { get; init; }

    /// <summary>The value; null when there are errors.</summary>
    public T? Value { get; init; }

    /// <summary>Every problem found, by file, line and column.</summary>
    public IReadOnlyList<FileDiagnostic> Errors { get; init; } = [];

    /// <summary>True when everything loaded without errors.</summary>
    public bool Succeeded => Value is not null && Errors.Count == 0;

    /// <summary>The value, or a <see cref="FileValidationException"/> listing every error.</summary>
    public T GetValueOrThrow() =>
        Succeeded ? Value! : throw new FileValidationException(FailureSummary, Errors);
}
