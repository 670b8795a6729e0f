using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Tests.Models;

/// <summary>A request as the file server saw it.</summary>
internal sealed record ServedRequest(string Target, string? Range, string? IfRange, string? Authorization);

/// <summary>A file the server serves, and how it misbehaves.</summary>
internal sealed class ServedFile
{
    public required byte[] Content { get; set; }

    public string ETag { get; set; } = "\"v1\"";

    /// <summary>Answer every request with the whole file (200), as a server without range support does.</summary>
    public bool IgnoreRanges { get; set; }

    /// <summary>Break the connection after this many body bytes, once.</summary>
    public long? AbortAfterBytes { get; set; }

    /// <summary>Answer 401 unless the request carries <c>Authorization: Bearer</c> with this token.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Hugging Face's <c>X-Linked-Etag</c> header (the file's SHA-256 for LFS files).</summary>
    public string? LinkedETag { get; set; }

    /// <summary>Answer 302 to this URL instead of serving the content.</summary>
    public Uri? RedirectTo { get; set; }
}

/// <summary>
/// A real Kestrel server on a loopback port that serves files the test wrote the way Hugging Face does: ETag,
/// Content-Length, byte ranges with <c>If-Range</c>, 416 past the end, <c>X-Error-Code</c> on errors, redirects. It
/// records every request, so a test can prove what the client sent (a Range, a token) and what it did not.
/// </summary>
internal sealed class ModelFileServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ServedFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ServedRequest> _requests = new();

    private ModelFileServer(WebApplication app) => _app = app;

    /// <summary>The server's root, <c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ServedRequest> Requests => [.. _requests];

    public static async Task<ModelFileServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new ModelFileServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Serves <paramref name="content"/> at <paramref name="target"/> (a path as sent on the wire, e.g. <c>/o/r/resolve/main/m.gguf</c>).</summary>
    public ServedFile Serve(string target, byte[] content)
    {
        var file = new ServedFile { Content = content };
        _files[target] = file;
        return file;
    }

    public Uri Url(string target) => new(BaseAddress, target);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var raw = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var target = raw.Split('?')[0];
        var request = context.Request;
        _requests.Enqueue(new ServedRequest(
            raw,
            request.Headers.Range.Count > 0 ? request.Headers.Range.ToString() : null,
            request.Headers.IfRange.Count > 0 ? request.Headers.IfRange.ToString() : null,
            request.Headers.Authorization.Count > 0 ? request.Headers.Authorization.ToString() : null));

        var response = context.Response;
        if (!_files.TryGetValue(target, out var file))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.Headers["X-Error-Code"] = "EntryNotFound";
            response.Headers["X-Error-Message"] = "Entry not found";
            return;
        }

        if (file.RequiredToken is not null && !string.Equals(request.Headers.Authorization, "Bearer " + file.RequiredToken, StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            response.Headers["X-Error-Code"] = "GatedRepo";
            response.Headers["X-Error-Message"] = "Access to this model is restricted.";
            return;
        }

        if (file.LinkedETag is not null)
        {
            response.Headers["X-Linked-Etag"] = file.LinkedETag;
        }

        if (file.RedirectTo is not null)
        {
            response.StatusCode = StatusCodes.Status302Found;
            response.Headers.Location = file.RedirectTo.AbsoluteUri;
            return;
        }

        var content = file.Content;
        long start = 0;
        response.Headers.ETag = file.ETag;
        response.Headers.AcceptRanges = "bytes";
        var range = request.Headers.Range.ToString();
        var ifRange = request.Headers.IfRange.ToString();
        var honourRange = !file.IgnoreRanges && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
            && (ifRange.Length == 0 || string.Equals(ifRange, file.ETag, StringComparison.Ordinal));
        if (honourRange)
        {
            start = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
            if (start >= content.Length)
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }

            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }

        response.ContentLength = content.Length - start;
        response.ContentType = "application/octet-stream";
        var end = content.Length;
        if (file.AbortAfterBytes is { } abortAfter)
        {
            file.AbortAfterBytes = null;
            end = (int)Math.Min(content.Length, start + abortAfter);
        }

        for (var offset = (int)start; offset < end; offset += 64 * 1024)
        {
            await response.Body.WriteAsync(content.AsMemory(offset, Math.Min(64 * 1024, end - offset)), context.RequestAborted);
        }

        await response.Body.FlushAsync(context.RequestAborted);
        if (end < content.Length)
        {
            context.Abort();
        }
    }
}
