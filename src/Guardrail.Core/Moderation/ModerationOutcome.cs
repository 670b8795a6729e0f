using Guardrail.Classification;
using Guardrail.Policies;

namespace Guardrail.Moderation;

/// <summary>One check's result: the verdict, the policy's decision on it, and the id it is audited under.</summary>
public sealed record ModerationOutcome(string DecisionId, GuardVerdict Verdict, ModerationDecision Decision, Policy Policy)
{
    /// <summary>
    /// The decision could not be recorded in the audit log (its queue was full or the write failed). A blocked
    /// decision is still refused; an allowed or flagged one follows the policy's <c>on_error</c>
    /// (<see cref="RefusedUnrecorded"/>).
    /// </summary>
    public bool AuditFailed { get; init; }

    /// <summary>The content is allowed, but could not be recorded, and the policy fails closed: it is refused (503).</summary>
    public bool RefusedUnrecorded => AuditFailed && Decision.Action != ModerationAction.Block && Policy.OnError == ErrorAction.Block;

    /// <summary>The content is stopped: the decision blocks it, or it cannot be recorded and the policy fails closed.</summary>
    public bool Blocked => Decision.Action == ModerationAction.Block || RefusedUnrecorded;

    /// <summary>
    /// The gateway cannot vouch for the content (classifier or audit failure, failing closed): answered 503 with
    /// <c>Retry-After</c> rather than as a content-filter refusal.
    /// </summary>
    public bool Unavailable => (Decision.ClassifierFailed && Decision.Action == ModerationAction.Block) || RefusedUnrecorded;
}
