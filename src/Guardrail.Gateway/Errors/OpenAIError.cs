using Guardrail.Serving;

namespace Guardrail.Gateway.Errors;

/// <summary>
/// The gateway's errors in OpenAI's shape, one named writer per status, all through <see cref="OpenAIErrorResponse"/>.
/// Messages are fixed texts written by the gateway: exception details, stack traces and keys never reach a client.
/// </summary>
internal static class OpenAIError
{
    public const string InvalidRequest = OpenAIErrorResponse.InvalidRequest;
    public const string ServerError = OpenAIErrorResponse.ServerError;
    public const string UpstreamError = "upstream_error";

    /// <summary>401 <c>invalid_api_key</c>: no key, or not one of this gateway's (the authentication handler's answer).</summary>
    public static Task WriteUnauthorizedAsync(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status401Unauthorized, message, InvalidRequest, "invalid_api_key");

    /// <summary>403: a valid key of the other kind (<c>admin_key_required</c> for a client key on an admin endpoint, <c>client_key_required</c> for the reverse).</summary>
    public static Task WriteForbiddenAsync(HttpContext context, string message, string code) =>
        WriteAsync(context, StatusCodes.Status403Forbidden, message, InvalidRequest, code);

    /// <summary>413 <c>request_too_large</c>: the body is over <c>Guardrail:Limits:MaxRequestBodyBytes</c>.</summary>
    public static Task WritePayloadTooLargeAsync(HttpContext context, long limitBytes) =>
        WriteAsync(
            context,
            StatusCodes.Status413PayloadTooLarge,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The request body is larger than this gateway accepts ({limitBytes} bytes)."),
            InvalidRequest,
            "request_too_large");

    /// <summary>404 <c>unknown_url</c>: nothing is served at this method and path (on this listener).</summary>
    public static Task WriteNotFoundAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status404NotFound, $"No route matches {context.Request.Method} {context.Request.Path}.", InvalidRequest, "unknown_url");

    /// <summary>
    /// 429 <c>rate_limit_exceeded</c> with OpenAI's <c>type</c> (<c>requests</c> or <c>tokens</c>) and, when a retry
    /// can succeed, <c>Retry-After</c> in whole seconds (what OpenAI's clients wait before their retry).
    /// </summary>
    public static Task WriteRateLimitedAsync(HttpContext context, Limits.RateLimitRefusal refusal)
    {
        if (refusal.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = Limits.RateLimitHeaders.RetryAfterSeconds(retryAfter);
        }

        var type = string.Equals(refusal.Kind, Limits.RateLimitKinds.Tokens, StringComparison.Ordinal) ? Limits.RateLimitKinds.Tokens : Limits.RateLimitKinds.Requests;
        return WriteAsync(context, StatusCodes.Status429TooManyRequests, refusal.Message, type, "rate_limit_exceeded");
    }

    public static Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? code, string? param = null) =>
        OpenAIErrorResponse.WriteAsync(context, statusCode, message, type, code, param);
}
