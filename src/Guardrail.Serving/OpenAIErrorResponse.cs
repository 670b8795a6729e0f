using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Guardrail.Serving;

/// <summary>
/// The one writer of errors in OpenAI's shape, <c>{"error":{"message","type","param","code"}}</c>, for the generation
/// server and the gateway alike, so that OpenAI SDKs raise their usual exception with a readable message. Messages are
/// fixed texts or the request's own problem: exception details, stack traces and keys never reach a client.
/// </summary>
public static class OpenAIErrorResponse
{
    public const string InvalidRequest = "invalid_request_error";
    public const string ServerError = "server_error";

    // Responses are application/json, never HTML, so the relaxed encoder is safe and keeps messages readable.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? code, string? param = null)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        var body = Serialize(message, type, code, param);
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>The error object as bytes, also sent as the last SSE event when a stream fails after its headers.</summary>
    public static byte[] Serialize(string message, string type, string? code, string? param = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            WriteNullable(writer, "param", param);
            WriteNullable(writer, "code", code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
