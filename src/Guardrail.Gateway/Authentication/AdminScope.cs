namespace Guardrail.Gateway.Authentication;

/// <summary>What an admin key may do on the admin API (<c>Guardrail:Auth:AdminKeys:N:Roles</c>).</summary>
public enum AdminRole
{
    /// <summary>List, read and count decisions (the review page's list and detail).</summary>
    Read,

    /// <summary>Label decisions.</summary>
    Label,

    /// <summary>Export decisions as a file.</summary>
    Export,
}

/// <summary>
/// An admin key limited to some tenants and some roles. Null tenants means every tenant; an admin key with no scope
/// at all (<see cref="GatewayCaller.Scope"/> null) has every role on every tenant and is the only kind that may list
/// the admin-action trail.
/// </summary>
/// <param name="Tenants">The tenants whose decisions the key sees, or null for every tenant.</param>
/// <param name="Roles">What the key may do.</param>
public sealed record AdminScope(IReadOnlyList<string>? Tenants, IReadOnlyList<AdminRole> Roles)
{
    /// <summary>The scope of <c>Guardrail:Auth:AdminKeys:N</c>, or null when the entry limits neither tenants nor roles.</summary>
    public static AdminScope? From(IList<string> tenants, IList<AdminRole> roles) =>
        tenants.Count == 0 && roles.Count == 0
            ? null
            : new AdminScope(tenants.Count == 0 ? null : [.. tenants.Distinct(StringComparer.Ordinal)], roles.Count == 0 ? Enum.GetValues<AdminRole>() : [.. roles.Distinct()]);

    public bool Allows(AdminRole role) => Roles.Contains(role);
}
