namespace Guardrail.Policies;

/// <summary>What a set of policies must provide beyond being valid on its own.</summary>
public sealed record PolicyLoadOptions
{
    /// <summary>
    /// Policy ids something else refers to (a route's <c>Guardrail.Policy</c> metadata): a policy set without
    /// one of them is rejected, so that a reload can never leave a route without its policy.
    /// </summary>
    public IReadOnlyCollection<string> RequiredPolicyIds { get; init; } = [];
}
