namespace Guardrail.Policies;

/// <summary>What a reload did.</summary>
public enum PolicyReloadStatus
{
    /// <summary>A valid new set of files replaced the snapshot.</summary>
    Swapped,

    /// <summary>The files hash to what is already loaded, or to a set already rejected: nothing to do.</summary>
    Unchanged,

    /// <summary>The files are not valid; the last good snapshot stays.</summary>
    Rejected,
}

/// <summary>What started a reload.</summary>
public enum PolicyReloadTrigger
{
    /// <summary>A file system watcher event, after the debounce.</summary>
    Watcher,

    /// <summary>The periodic poll.</summary>
    Poll,

    /// <summary>A caller (an admin endpoint, a test).</summary>
    Manual,
}

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
    public IReadOnlyList<PolicyDiagnostic> Errors { get; init; } = [];

    /// <summary>When the reload finished, from the store's <see cref="TimeProvider"/>.</summary>
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Reload counts since the store started.</summary>
/// <param name="Swapped">Reloads that installed a new snapshot.</param>
/// <param name="Unchanged">Reloads that found nothing new.</param>
/// <param name="Rejected">Reloads that found invalid files and kept the last good snapshot.</param>
public sealed record PolicyReloadCounters(long Swapped, long Unchanged, long Rejected);

/// <summary>
/// Receives reload outcomes (Core has no logging dependency; the host logs and counts through this).
/// Called for swapped and rejected reloads, not for unchanged ones, on the thread that reloaded.
/// </summary>
public interface IPolicyReloadObserver
{
    /// <summary>A reload swapped the snapshot or was rejected.</summary>
    void OnReload(PolicyReloadResult result);
}

/// <summary>The snapshot changed; engines drop what they cached for the old one (prompt prefixes).</summary>
public sealed class PolicySnapshotChangedEventArgs(PolicySnapshot previous, PolicySnapshot current) : EventArgs
{
    /// <summary>The snapshot replaced.</summary>
    public PolicySnapshot Previous { get; } = previous;

    /// <summary>The snapshot now in force.</summary>
    public PolicySnapshot Current { get; } = current;
}
