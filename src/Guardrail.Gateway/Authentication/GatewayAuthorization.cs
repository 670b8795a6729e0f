using Guardrail.Gateway.Configuration;
using Microsoft.AspNetCore.Authorization;

namespace Guardrail.Gateway.Authentication;

/// <summary>
/// The named authorization policies every endpoint uses, and their registration. <c>client</c> (also the default and
/// the fallback, so an endpoint or YARP route that names no policy needs a client key: authentication is on by
/// default) lets in client keys, and callers without a key when <c>Guardrail:Auth:AllowAnonymous</c> is set;
/// <c>admin</c> lets in admin keys; <c>metrics</c> lets in admin keys when there is no management listener, and leaves
/// the decision to the listener when there is one (<c>Guardrail:Metrics:ManagementUrl</c>: the endpoint serves it
/// without a key and 404s elsewhere, told by the socket's local port, never the Host header). YARP routes choose with their own <c>AuthorizationPolicy</c> setting
/// (<c>client</c>, <c>admin</c>, or YARP's <c>anonymous</c>).
/// </summary>
internal static class GatewayAuthorization
{
    public const string Scheme = "GatewayKey";
    public const string ClientPolicy = "client";
    public const string AdminPolicy = "admin";
    public const string MetricsPolicy = "metrics";

    /// <summary>An admin key that may do <paramref name="role"/> (every unscoped admin key may).</summary>
    public static string AdminRolePolicy(AdminRole role) => "admin_" + role.ToString().ToLowerInvariant();

    /// <summary>An admin key limited to neither tenants nor roles: the admin-action trail is theirs only.</summary>
    public const string UnscopedAdminPolicy = "admin_unscoped";

    /// <summary>The policy names a YARP route may give as its <c>AuthorizationPolicy</c> (YARP's own included).</summary>
    public static readonly IReadOnlyList<string> RoutePolicies = [ClientPolicy, AdminPolicy, "anonymous", "default"];

    public static IServiceCollection AddGuardrailAuthentication(this IServiceCollection services, GuardrailOptions options)
    {
        services.AddAuthentication(Scheme).AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, GatewayAuthenticationHandler>(Scheme, configureOptions: null);
        var client = new AuthorizationPolicyBuilder(Scheme).AddRequirements(new GatewayKeyRequirement(GatewayKeyKind.Client)).Build();
        services.AddAuthorizationBuilder()
            .AddPolicy(ClientPolicy, client)
            .AddPolicy(AdminPolicy, policy => policy.AddAuthenticationSchemes(Scheme).AddRequirements(new GatewayKeyRequirement(GatewayKeyKind.Admin)))
            .AddPolicy(MetricsPolicy, policy => policy.AddAuthenticationSchemes(Scheme).AddRequirements(new MetricsAccessRequirement()))
            .AddPolicy(UnscopedAdminPolicy, policy => policy.AddAuthenticationSchemes(Scheme).AddRequirements(new AdminScopeRequirement(Role: null)))
            .SetDefaultPolicy(client)
            .SetFallbackPolicy(client);
        foreach (var role in Enum.GetValues<AdminRole>())
        {
            services.AddAuthorizationBuilder().AddPolicy(AdminRolePolicy(role), policy => policy.AddAuthenticationSchemes(Scheme).AddRequirements(new AdminScopeRequirement(role)));
        }

        services.AddSingleton<IAuthorizationHandler>(new GatewayKeyRequirementHandler(options.Auth.AllowAnonymous, options.Metrics.ManagementPort));
        return services;
    }
}

/// <summary>The caller must have presented this kind of key.</summary>
internal sealed record GatewayKeyRequirement(GatewayKeyKind Kind) : IAuthorizationRequirement;

/// <summary>An admin key whose scope allows <paramref name="Role"/>; with no role, an admin key with no scope at all.</summary>
internal sealed record AdminScopeRequirement(AdminRole? Role) : IAuthorizationRequirement
{
    public bool IsMetBy(GatewayCaller? caller) =>
        caller?.Kind == GatewayKeyKind.Admin && (caller.Scope is not { } scope || (Role is { } role && scope.Allows(role)));
}

/// <summary><c>/metrics</c>: the management listener, or an admin key when there is none.</summary>
internal sealed record MetricsAccessRequirement : IAuthorizationRequirement;

/// <summary>Decides both requirements from the caller's claims and, for metrics, the listener the request came in on.</summary>
internal sealed class GatewayKeyRequirementHandler(bool allowAnonymous, int? managementPort) : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        var caller = GatewayCaller.From(context.User);
        foreach (var requirement in context.PendingRequirements.ToList())
        {
            var met = requirement switch
            {
                // Anonymous means no key at all: a wrong key is refused even where anonymous callers are let in.
                GatewayKeyRequirement { Kind: GatewayKeyKind.Client } => caller is null
                    ? allowAnonymous && context.Resource is HttpContext http && http.Request.Headers.Authorization.Count == 0
                    : caller.Kind == GatewayKeyKind.Client,
                GatewayKeyRequirement { Kind: GatewayKeyKind.Admin } => caller?.Kind == GatewayKeyKind.Admin,
                // With a management listener, where a request came in decides, not a key: the endpoint serves metrics there
                // without one and answers 404 on every other listener.
                MetricsAccessRequirement => managementPort is not null || caller?.Kind == GatewayKeyKind.Admin,
                AdminScopeRequirement scoped => scoped.IsMetBy(caller),
                _ => false,
            };
            if (met)
            {
                context.Succeed(requirement);
            }
            else if (requirement is AdminScopeRequirement refused && caller?.Kind == GatewayKeyKind.Admin && context.Resource is HttpContext refusedHttp)
            {
                // The right kind of key without the scope: the 403 names what the key lacks (GatewayAuthenticationHandler).
                refusedHttp.Items[typeof(AdminScopeRequirement)] = refused;
            }
        }

        return Task.CompletedTask;
    }
}
