using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Errors;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// Reads a whole request body for the endpoints that must see it before anything else happens (moderated routes,
/// <c>/v1/moderations</c>), bounded by <c>Guardrail:Limits:MaxRequestBodyBytes</c> (Kestrel's own limit, set to the same
/// value, cuts a chunked body without a length). A body over the limit is answered with the one 413 here.
/// </summary>
internal sealed class RequestBodyReader(GuardrailOptions options)
{
    private readonly long _limit = options.Limits.MaxRequestBodyBytes;

    /// <summary>The body, or null when it was too large and the 413 has been written.</summary>
    public async Task<byte[]?> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        try
        {
            if (request.ContentLength is { } length && length <= _limit)
            {
                // The announced length is the whole body (Kestrel ends the body there): one array, read into directly.
                var body = new byte[length];
                await request.Body.ReadExactlyAsync(body, context.RequestAborted);
                return body;
            }

            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            return buffer.Length > _limit ? await TooLargeAsync(context) : buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return await TooLargeAsync(context);
        }
    }

    private async Task<byte[]?> TooLargeAsync(HttpContext context)
    {
        await OpenAIError.WritePayloadTooLargeAsync(context, _limit);
        return null;
    }
}
