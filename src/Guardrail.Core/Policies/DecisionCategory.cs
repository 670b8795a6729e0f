namespace Guardrail.Policies;

/// <summary>A category that took part in a decision.</summary>
/// <param name="Code">The code the model wrote (<c>S1</c>, or an unknown one such as <c>S99</c>).</param>
/// <param name="Name">The category's name; null for a code the policy does not know.</param>
/// <param name="Action">What the policy does for it; for an unknown code, what <c>on_error</c> made of it.</param>
/// <param name="Known">False for a code the policy does not send to the model.</param>
public sealed record DecisionCategory(string Code, string? Name, ModerationAction Action, bool Known);
