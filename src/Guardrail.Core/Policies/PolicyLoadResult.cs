namespace Guardrail.Policies;

/// <summary>The outcome of loading policies and taxonomies: a snapshot, or every error found.</summary>
public sealed record PolicyLoadResult
{
    /// <summary>The snapshot; null when there are errors.</summary>
    public PolicySnapshot? Snapshot { get; init; }

    /// <summary>Every problem found, by file, line and column.</summary>
    public IReadOnlyList<PolicyDiagnostic> Errors { get; init; } = [];

    /// <summary>True when everything loaded without errors.</summary>
    public bool Succeeded => Snapshot is not null && Errors.Count == 0;

    /// <summary>The snapshot, or a <see cref="PolicyValidationException"/> listing every error.</summary>
    public PolicySnapshot GetValueOrThrow() =>
        Succeeded ? Snapshot! : throw new PolicyValidationException(Errors);
}
