using Guardrail.Diagnostics;

namespace Guardrail.Policies;

/// <summary>The outcome of one reload.</summary>
public sealed record PolicyReloadResult
{
    /// <summary>Swapped, unchanged or rejected.</summary>
    public required PolicyReloadStatus Status { get; init; }

    /// <summary>What started it.</summary>
    public required PolicyReloadTrigger Trigger { get; init; }

    /// <summary>The version in force after the reload.</summary>
    public required string Version { get; init; }

    /// <summary>The version in force before it.</summary>
    public required string PreviousVersion { get; init; }

    /// <summary>The version of the rejected files (null unless they could be read and hashed).</summary>
    public string? RejectedVersion { get; init; }

    /// <summary>Every problem found (rejected only).</summary>
    public IReadOnlyList<FileDiagnostic> Errors { get; init; } = [];

    /// <summary>When the reload finished, from the store's <see cref="TimeProvider"/>.</summary>
    public required DateTimeOffset Timestamp { get; init; }
}
