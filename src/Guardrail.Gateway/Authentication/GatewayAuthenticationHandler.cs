using System.Security.Claims;
using System.Text.Encodings.Web;
using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Metrics;
using Guardrail.Tracing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Guardrail.Gateway.Authentication;

/// <summary>
/// Step 1 of the request path, for every endpoint alike: the key in <c>Authorization: Bearer</c> names a client
/// (tenant and key id) or an admin, as claims on <see cref="HttpContext.User"/>. What a caller may open is the named
/// authorization policies' business (<see cref="GatewayAuthorization"/>); this handler only answers who it is and,
/// when a policy says no, writes the one 401 or 403 every endpoint gives, in OpenAI's error shape, with
/// <c>WWW-Authenticate: Bearer</c>.
/// </summary>
internal sealed partial class GatewayAuthenticationHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    private readonly GatewayKeyStore _keys;
    private readonly GatewayMetrics _metrics;

    public GatewayAuthenticationHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory logger,
        UrlEncoder encoder,
        GatewayKeyStore keys,
        GatewayMetrics metrics)
        : base(options, logger, encoder)
    {
        _keys = keys;
        _metrics = metrics;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        using var activity = GuardrailTracing.Start(GuardrailTracing.AuthenticateSpan);
        var header = Request.Headers.Authorization;
        if (header.Count == 0)
        {
            // No key is not a failure yet: the route's policy decides whether anonymous callers are let in.
            activity?.SetTag(GuardrailTracing.AuthResultAttribute, "no_key");
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!_keys.TryAuthenticate(header, out var caller))
        {
            activity?.SetTag(GuardrailTracing.AuthResultAttribute, "invalid_key");
            return Task.FromResult(AuthenticateResult.Fail("The key is not one of this gateway's keys."));
        }

        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GuardrailTracing.AuthResultAttribute, caller.Kind == GatewayKeyKind.Admin ? "admin_key" : "client_key");
            activity.SetTag(GuardrailTracing.TenantAttribute, caller.Tenant);
            activity.SetTag(GuardrailTracing.KeyIdAttribute, caller.KeyId);
        }

        var identity = new GatewayIdentity(caller, Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var missing = Request.Headers.Authorization.Count == 0;
        _metrics.AuthenticationFailed(missing ? "missing_key" : "invalid_key");
        LogRejected(Logger, missing ? "missing key" : "invalid key", Request.Path);
        Response.Headers.WWWAuthenticate = "Bearer";
        return OpenAIError.WriteUnauthorizedAsync(
            Context,
            missing
                ? "You didn't provide an API key. Send your key as 'Authorization: Bearer <key>'."
                : "Incorrect API key provided. Use a key issued for this Guardrail deployment.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var caller = Context.GetCaller();
        if (Context.Items.TryGetValue(typeof(AdminScopeRequirement), out var refused) && refused is AdminScopeRequirement scoped)
        {
            _metrics.AuthenticationFailed("admin_scope");
            LogRejected(Logger, scoped.Role is { } lacking ? $"admin key without the {lacking} role" : "scoped admin key on an unscoped admin endpoint", Request.Path);
            return scoped.Role is { } role
                ? OpenAIError.WriteForbiddenAsync(Context, $"This admin key does not have the '{role.ToString().ToLowerInvariant()}' role (Guardrail:Auth:AdminKeys:N:Roles).", "admin_role_required")
                : OpenAIError.WriteForbiddenAsync(Context, "This endpoint needs an admin key limited to neither tenants nor roles.", "unscoped_admin_key_required");
        }

        _metrics.AuthenticationFailed("wrong_key_kind");
        LogRejected(Logger, caller.Kind == GatewayKeyKind.Admin ? "admin key on a client endpoint" : "client key on an admin endpoint", Request.Path);
        Response.Headers.WWWAuthenticate = "Bearer";
        return caller.Kind == GatewayKeyKind.Admin
            ? OpenAIError.WriteForbiddenAsync(Context, "This is an admin key; this endpoint needs a client gateway key (Guardrail:Auth:Keys).", "client_key_required")
            : OpenAIError.WriteForbiddenAsync(Context, "This is a client gateway key; this endpoint needs an admin key (Guardrail:Auth:AdminKeys).", "admin_key_required");
    }

    [LoggerMessage(EventId = GatewayEventIds.AuthenticationRejected, Level = LogLevel.Information, Message = "Rejected request to {Path}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason, PathString path);
}
