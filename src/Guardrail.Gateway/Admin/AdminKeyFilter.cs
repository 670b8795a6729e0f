using Guardrail.Gateway.Authentication;

namespace Guardrail.Gateway.Admin;

/// <summary>
/// Lets only admin keys into <c>/admin/v1</c>. No key or an unknown key is 401; a valid client gateway key is 403, so
/// a team that tries its own key learns that the key works but does not open this door. Decisions hold every
/// tenant's content: a client key must never read them.
/// </summary>
internal sealed partial class AdminKeyFilter : IEndpointFilter
{
    private readonly AdminKeyStore _admins;
    private readonly GatewayKeyStore _clients;
    private readonly ILogger<AdminKeyFilter> _logger;

    public AdminKeyFilter(AdminKeyStore admins, GatewayKeyStore clients, ILogger<AdminKeyFilter> logger)
    {
        _admins = admins;
        _clients = clients;
        _logger = logger;
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        AdminResponseHeaders.Apply(http.Response);
        var authorization = http.Request.Headers.Authorization;
        if (_admins.IsAdmin(authorization))
        {
            return await next(context);
        }

        http.Response.Headers.WWWAuthenticate = "Bearer";
        if (authorization.Count == 0)
        {
            LogRejected(_logger, "missing key", http.Request.Path);
            return new AdminErrorResult(StatusCodes.Status401Unauthorized, "The admin API needs an admin key: send 'Authorization: Bearer <admin key>' (Guardrail:Auth:AdminKeys).", "invalid_api_key");
        }

        if (_clients.TryAuthenticate(authorization, out _))
        {
            LogRejected(_logger, "client key", http.Request.Path);
            return new AdminErrorResult(StatusCodes.Status403Forbidden, "This is a client gateway key; the admin API needs an admin key (Guardrail:Auth:AdminKeys).", "admin_key_required");
        }

        LogRejected(_logger, "invalid key", http.Request.Path);
        return new AdminErrorResult(StatusCodes.Status401Unauthorized, "Incorrect admin key.", "invalid_api_key");
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Rejected admin request to {Path}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason, PathString path);
}
