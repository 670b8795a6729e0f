namespace Guardrail.Policies;

/// <summary>
/// Which requests a policy applies to without an explicit choice (<c>applies_to</c>). Each list that is not
/// empty must contain the request's value; empty lists do not constrain; a policy whose lists are all empty
/// is chosen only by id or as the default.
/// </summary>
public sealed record PolicyAppliesTo
{
    /// <summary>An <c>applies_to</c> that never matches.</summary>
    public static PolicyAppliesTo Nothing { get; } = new();

    /// <summary>Tenant ids, exact.</summary>
    public IReadOnlyList<string> Tenants { get; init; } = [];

    /// <summary>Model names; exact, or a prefix when ending in <c>*</c> (<c>llama-3.1-*</c>).</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Route ids from the reverse proxy configuration, exact.</summary>
    public IReadOnlyList<string> Routes { get; init; } = [];

    /// <summary>True when no list is set: the policy is never chosen by matching.</summary>
    public bool IsEmpty => Tenants.Count == 0 && Models.Count == 0 && Routes.Count == 0;

    /// <summary>Whether a request of <paramref name="tenant"/> for <paramref name="model"/> on <paramref name="routeId"/> matches.</summary>
    public bool Matches(string? tenant, string? model, string? routeId) =>
        !IsEmpty
        && (Tenants.Count == 0 || (tenant is not null && Tenants.Contains(tenant, StringComparer.Ordinal)))
        && (Models.Count == 0 || (model is not null && Models.Any(pattern => ModelMatches(pattern, model))))
        && (Routes.Count == 0 || (routeId is not null && Routes.Contains(routeId, StringComparer.Ordinal)));

    private static bool ModelMatches(string pattern, string model) =>
        pattern.EndsWith('*')
            ? model.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
            : string.Equals(pattern, model, StringComparison.Ordinal);
}
