using System.Security.Claims;

namespace Guardrail.Gateway.Authentication;

/// <summary>Which kind of key a caller presented.</summary>
public enum GatewayKeyKind
{
    /// <summary>A client gateway key (<c>Guardrail:Auth:Keys</c>): names a tenant; opens the model routes.</summary>
    Client,

    /// <summary>An admin key (<c>Guardrail:Auth:AdminKeys</c>): opens the admin API, the review page's data and <c>/metrics</c>.</summary>
    Admin,
}

/// <summary>Who sent the request, as the authentication handler found it (<see cref="HttpContext.User"/>'s claims).</summary>
/// <param name="Tenant">The tenant the key belongs to (<c>admin</c> for admin keys).</param>
/// <param name="KeyId">The key's non-secret id; never the key itself.</param>
/// <param name="Kind">Client or admin key.</param>
/// <param name="Scope">For an admin key, the tenants and roles it is limited to; null for none (and for client keys).</param>
public sealed record GatewayCaller(string Tenant, string KeyId, GatewayKeyKind Kind = GatewayKeyKind.Client, AdminScope? Scope = null)
{
    public const string TenantClaim = "guardrail:tenant";
    public const string KeyIdClaim = "guardrail:key_id";
    public const string KindClaim = "guardrail:key_kind";
    public const string ScopeTenantClaim = "guardrail:scope_tenant";
    public const string ScopeRoleClaim = "guardrail:scope_role";

    /// <summary>The caller of a request without a key when anonymous access is allowed.</summary>
    public static GatewayCaller Anonymous { get; } = new("anonymous", "anonymous");

    /// <summary>The caller the authentication handler put on <paramref name="user"/>, or null for none.</summary>
    public static GatewayCaller? From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        // The handler's own identity carries the caller it found; claims are read back only for a principal built elsewhere.
        if (user.Identity is GatewayIdentity { Caller: var found })
        {
            return found;
        }

        var tenant = user.FindFirst(TenantClaim)?.Value;
        var keyId = user.FindFirst(KeyIdClaim)?.Value;
        if (tenant is null || keyId is null)
        {
            return null;
        }

        var kind = string.Equals(user.FindFirst(KindClaim)?.Value, nameof(GatewayKeyKind.Admin), StringComparison.Ordinal) ? GatewayKeyKind.Admin : GatewayKeyKind.Client;
        // A scoped key always carries at least one role claim; its tenant claims are absent when it sees every tenant.
        var roles = user.FindAll(ScopeRoleClaim).Select(c => Enum.Parse<AdminRole>(c.Value)).ToList();
        var tenants = user.FindAll(ScopeTenantClaim).Select(c => c.Value).ToList();
        var scope = roles.Count == 0 ? null : new AdminScope(tenants.Count == 0 ? null : tenants, roles);
        return new GatewayCaller(tenant, keyId, kind, scope);
    }

    /// <summary>The claims that carry this caller.</summary>
    public IEnumerable<Claim> ToClaims()
    {
        List<Claim> claims = [new(TenantClaim, Tenant), new(KeyIdClaim, KeyId), new(KindClaim, Kind.ToString())];
        if (Scope is { } scope)
        {
            claims.AddRange(scope.Roles.Select(r => new Claim(ScopeRoleClaim, r.ToString())));
            claims.AddRange((scope.Tenants ?? []).Select(t => new Claim(ScopeTenantClaim, t)));
        }

        return claims;
    }
}

/// <summary>
/// The identity the authentication handler signs a caller in with: the usual claims, and the caller itself, so that the
/// several steps of a request that ask who is calling do not parse the claims again each time.
/// </summary>
internal sealed class GatewayIdentity(GatewayCaller caller, string authenticationType) : ClaimsIdentity(caller.ToClaims(), authenticationType)
{
    public GatewayCaller Caller { get; } = caller;
}

/// <summary>The caller of the current request.</summary>
internal static class GatewayCallerExtensions
{
    /// <summary>The authenticated caller; <see cref="GatewayCaller.Anonymous"/> when the route let an unauthenticated request in.</summary>
    public static GatewayCaller GetCaller(this HttpContext context) => GatewayCaller.From(context.User) ?? GatewayCaller.Anonymous;
}
