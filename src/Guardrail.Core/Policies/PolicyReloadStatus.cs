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
