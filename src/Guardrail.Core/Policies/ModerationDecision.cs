using Guardrail.Conversations;

namespace Guardrail.Policies;

/// <summary>What a policy made of a verdict: the action, why, and what a shadow policy would have done.</summary>
public sealed record ModerationDecision
{
    /// <summary>Allow, flag or block.</summary>
    public required ModerationAction Action { get; init; }

    /// <summary>Which side was checked.</summary>
    public required CheckDirection Direction { get; init; }

    /// <summary>The deciding policy's id.</summary>
    public required string PolicyId { get; init; }

    /// <summary>The deciding policy's <see cref="Policy.ContentHash"/>.</summary>
    public required string PolicyHash { get; init; }

    /// <summary>The categories that caused the action, in the model's order (empty for allow and for errors).</summary>
    public IReadOnlyList<DecisionCategory> Categories { get; init; } = [];

    /// <summary>P(unsafe) from the verdict; null when the classifier gave none.</summary>
    public double? Score { get; init; }

    /// <summary>The policy's threshold.</summary>
    public required double Threshold { get; init; }

    /// <summary>Why, in one line for people and the audit log.</summary>
    public required string Reason { get; init; }

    /// <summary>True when the policy's <c>on_error</c> decided: no usable verdict, or codes the policy does not know.</summary>
    public bool UsedOnError { get; init; }

    /// <summary>True when the classifier gave no verdict at all (an error verdict).</summary>
    public bool ClassifierFailed { get; init; }

    /// <summary>True when the classifier failed and the content went through anyway (<c>on_error: allow</c>).</summary>
    public bool FailedOpen => ClassifierFailed && Action != ModerationAction.Block;

    /// <summary>What the shadow policy would have done; recorded, never enforced. Null without a shadow.</summary>
    public ModerationDecision? Shadow { get; init; }

    /// <summary>True when a shadow policy would have acted differently.</summary>
    public bool ShadowDisagrees => Shadow is not null && Shadow.Action != Action;
}
