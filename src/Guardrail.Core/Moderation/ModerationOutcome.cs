using Guardrail.Classification;
using Guardrail.Policies;

namespace Guardrail.Moderation;

/// <summary>One check's result: the verdict, the policy's decision on it, and the id it is audited under.</summary>
public sealed record ModerationOutcome(string DecisionId, GuardVerdict Verdict, ModerationDecision Decision, Policy Policy)
{
    /// <summary>The decision stops the content.</summary>
    public bool Blocked => Decision.Action == ModerationAction.Block;
}
