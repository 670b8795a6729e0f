namespace Guardrail.Policies;

/// <summary>The outcome of a decision, from weakest to strongest.</summary>
public enum ModerationAction
{
    /// <summary>Let the content through.</summary>
    Allow,

    /// <summary>Let the content through; record and count it.</summary>
    Flag,

    /// <summary>Stop the content and answer with the policy's refusal.</summary>
    Block,
}
