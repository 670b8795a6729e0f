using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Guardrail.Gateway.Tests.Infrastructure;

/// <summary>A request as the backend saw it.</summary>
internal sealed record BackendRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A real Kestrel server on a loopback port that plays an OpenAI-compatible model server. It records every request
/// it receives, so tests can prove what did, and what did not, reach the backend.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    public const string ChatCompletionJson =
        """{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"message":{"role":"assistant","content":"Hello \u00e9t\u00e9 from the backend."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}}""";

    public static readonly string[] StreamChunks =
    [
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    ];

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<BackendRequest> _requests = new();
    private readonly ConcurrentQueue<SemaphoreSlim> _streamGates = new();

    private TestBackend(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<BackendRequest> Requests => [.. _requests];

    /// <summary>
    /// Released by a test to let the slow stream send its next chunk; the stream waits here between chunks, so a
    /// gateway that buffered the response would deliver nothing until the test gave up.
    /// </summary>
    public SemaphoreSlim StreamGate { get; } = new(0);

    public static async Task<TestBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var backend = new TestBackend(app);
        app.Use(async (context, next) =>
        {
            await backend.RecordAsync(context);
            await next(context);
        });

        app.MapPost("/v1/chat/completions", async context =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            context.Response.Headers["x-backend-header"] = "kept";
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(ChatCompletionJson));
        });
        app.MapGet("/v1/models", () => Results.Text("""{"object":"list","data":[{"id":"llama-3-8b","object":"model"}]}""", "application/json"));
        app.MapPost("/v1/slow-stream", backend.WriteSlowStreamAsync);
        app.MapGet("/v1/status/{code:int}", (int code) => Results.Text($"{{\"error\":{{\"message\":\"backend says {code}\"}}}}", "application/json", statusCode: code));

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        backend.BaseAddress = new Uri(address);
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        StreamGate.Dispose();
    }

    private async Task RecordAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        context.Request.Body = new MemoryStream(body.ToArray());
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new BackendRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body.ToArray()));
    }

    private async Task WriteSlowStreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        for (var i = 0; i < StreamChunks.Length; i++)
        {
            if (i > 0)
            {
                await StreamGate.WaitAsync(context.RequestAborted);
            }

            await context.Response.WriteAsync(StreamChunks[i], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }
}
