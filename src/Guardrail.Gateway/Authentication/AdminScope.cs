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
    /// <remarks>The roles must have been validated (<see cref="TryParseRole"/>).</remarks>
    public static AdminScope? From(IList<string> tenants, IList<string> roles) =>
        tenants.Count == 0 && roles.Count == 0
            ? null
            : new AdminScope(
                tenants.Count == 0 ? null : [.. tenants.Distinct(StringComparer.Ordinal)],
                roles.Count == 0 ? Enum.GetValues<AdminRole>() : [.. roles.Select(static r => TryParseRole(r, out var role) ? role : throw new InvalidOperationException($"'{r}' is not a role.")).Distinct()]);

    /// <summary>A role by name, any case (<c>read</c>, <c>Label</c>, ...); numbers are not names.</summary>
    public static bool TryParseRole(string? text, out AdminRole role) =>
        Enum.TryParse(text, ignoreCase: true, out role) && Enum.IsDefined(role) && !char.IsAsciiDigit(text![0]);

    public bool Allows(AdminRole role) => Roles.Contains(role);
}
