namespace Guardrail.Policies;

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
