namespace Guardrail.Audit.AdminActions;

/// <summary>One thing an operator did through the admin API (listed, read, labelled, exported, counted decisions, or
/// listed these actions), recorded before it ran so that the trail holds every attempt, refused ones included.</summary>
public sealed record AdminAction
{
    /// <summary>The store's sequence number, increasing in the order actions were recorded; 0 before it is recorded.</summary>
    public long Sequence { get; init; }

    public required DateTimeOffset Time { get; init; }

    /// <summary>The admin key's non-secret id: who.</summary>
    public required string KeyId { get; init; }

    /// <summary>What, as the admin route's name (<c>admin_decisions</c>, <c>admin_label</c>, <c>admin_export</c>, ...).</summary>
    public required string Action { get; init; }

    /// <summary>On what: the decision id, or the query string the decisions were chosen by; null when neither.</summary>
    public string? Target { get; init; }
}
