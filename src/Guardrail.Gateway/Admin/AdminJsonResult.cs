using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Guardrail.Gateway.Admin;

/// <summary>A 200 JSON body written straight to the response with <see cref="Utf8JsonWriter"/>.</summary>
internal sealed class AdminJsonResult : IResult
{
    // Content is hostile: HTML-significant characters stay escaped (\u003C) so that no client that mistakes the body
    // for HTML can run it; other scripts stay readable.
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    private readonly Action<Utf8JsonWriter> _write;

    public AdminJsonResult(Action<Utf8JsonWriter> write) => _write = write;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        await using (var json = new Utf8JsonWriter(response.BodyWriter, WriterOptions))
        {
            _write(json);
        }

        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }
}
