using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Errors;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// Rejects a request whose declared body is over <c>Guardrail:Limits:MaxRequestBodyBytes</c> before it is read.
/// Chunked bodies without a length are cut by Kestrel's own limit, set to the same value, and reported as 413 by
/// <see cref="ProxyErrorMiddleware"/>.
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
            return OpenAIError.WriteAsync(
                context,
                StatusCodes.Status413PayloadTooLarge,
                $"The request body is larger than this gateway accepts ({_maxBodyBytes} bytes).",
                OpenAIError.InvalidRequest,
                "request_too_large");
        }

        return _next(context);
    }
}
