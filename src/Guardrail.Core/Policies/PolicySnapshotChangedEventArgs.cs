namespace Guardrail.Policies;

/// <summary>The snapshot changed; engines drop what they cached for the old one (prompt prefixes).</summary>
public sealed class PolicySnapshotChangedEventArgs(PolicySnapshot previous, PolicySnapshot current) : EventArgs
{
    /// <summary>The snapshot replaced.</summary>
    public PolicySnapshot Previous { get; } = previous;

    /// <summary>The snapshot now in force.</summary>
    public PolicySnapshot Current { get; } = current;
}
