namespace Guardrail.Policies;

/// <summary>
/// Receives reload outcomes (Core has no logging dependency; the host logs and counts through this).
/// Called for swapped and rejected reloads, not for unchanged ones, on the thread that reloaded (a timer thread
/// for watcher and poll reloads), so implementations must be quick and must not throw.
/// </summary>
public interface IPolicyReloadObserver
{
    /// <summary>A reload swapped the snapshot or was rejected.</summary>
    void OnReload(PolicyReloadResult result);
}
