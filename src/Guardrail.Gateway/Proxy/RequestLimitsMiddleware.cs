using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Errors;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// Rejects a request whose declared body is over <c>Guardrail:Limits:MaxRequestBodyBytes</c> before it is read.
/// Runs for every endpoint. Chunked bodies without a length are cut by Kestrel's own limit, set to the same value, and
/// reported as 413 by whoever reads them (<see cref="RequestBodyReader"/>, or <see cref="ProxyErrorMiddleware"/> for
/// pass-through routes).
/// </summary>
internal sealed class RequestLimitsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly long _maxBodyBytes;

    public RequestLimitsMiddleware(RequestDelegate next, GuardrailOptions options)
    {
        _next = next;
        _maxBodyBytes = options.Limits.MaxRequestBodyBytes;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > _maxBodyBytes)
        {
            return OpenAIError.WritePayloadTooLargeAsync(context, _maxBodyBytes);
        }

        return _next(context);
    }
}
