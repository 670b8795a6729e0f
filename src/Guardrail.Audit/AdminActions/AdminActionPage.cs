namespace Guardrail.Audit.AdminActions;

/// <summary>One page of admin actions, newest first.</summary>
public sealed record AdminActionPage
{
    /// <summary>Largest page accepted.</summary>
    public const int MaxLimit = 1_000;

    public required IReadOnlyList<AdminAction> Actions { get; init; }

    /// <summary>Pass as <c>before</c> for the next (older) page; null on the last page.</summary>
    public long? NextCursor { get; init; }
}
