using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Metrics;

namespace Guardrail.Gateway.Authentication;

/// <summary>
/// Step 1 of the request path: the gateway key in <c>Authorization: Bearer</c> names the tenant. A missing or wrong
/// key ends the request with 401 in OpenAI's error shape before anything reaches a backend.
/// </summary>
internal sealed partial class GatewayAuthenticationMiddleware
{
    private readonly RequestDelegate _next;
    private readonly GatewayKeyStore _keys;
    private readonly bool _allowAnonymous;
    private readonly ILogger<GatewayAuthenticationMiddleware> _logger;

    private readonly GatewayMetrics _metrics;

    public GatewayAuthenticationMiddleware(RequestDelegate next, GatewayKeyStore keys, GatewayAuthenticationSettings settings, GatewayMetrics metrics, ILogger<GatewayAuthenticationMiddleware> logger)
    {
        _metrics = metrics;
        _next = next;
        _keys = keys;
        _allowAnonymous = settings.AllowAnonymous;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count == 0)
        {
            if (_allowAnonymous)
            {
                context.Features.Set(GatewayCaller.Anonymous);
                return _next(context);
            }

            LogRejected(_logger, "missing key", context.Request.Path);
            _metrics.AuthenticationFailed("missing_key");
            return Reject(context, "You didn't provide an API key. Send your gateway key as 'Authorization: Bearer <key>'.");
        }

        if (!_keys.TryAuthenticate(header, out var caller))
        {
            LogRejected(_logger, "invalid key", context.Request.Path);
            _metrics.AuthenticationFailed("invalid_key");
            return Reject(context, "Incorrect API key provided. Use a gateway key issued for this Guardrail deployment.");
        }

        context.Features.Set(caller);
        return _next(context);
    }

    private static Task Reject(HttpContext context, string message)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return OpenAIError.WriteAsync(context, StatusCodes.Status401Unauthorized, message, OpenAIError.InvalidRequest, "invalid_api_key");
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Rejected request to {Path}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason, PathString path);
}

/// <summary>The authentication settings the middleware needs, resolved once at start-up.</summary>
internal sealed record GatewayAuthenticationSettings(bool AllowAnonymous);
