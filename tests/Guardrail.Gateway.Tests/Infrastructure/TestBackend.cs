using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Guardrail.Gateway.Tests.Infrastructure;

/// <summary>A request as the backend saw it; <paramref name="Protocol"/> is HTTP/1.1 or HTTP/2.</summary>
internal sealed record BackendRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, string Protocol = "HTTP/1.1");

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

    public const string ResponseJson =
        """{"id":"resp_1","object":"response","created_at":1700000000,"status":"completed","model":"llama-3-8b","output":[{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello \u00e9t\u00e9 from the backend.","annotations":[]}]}],"usage":{"input_tokens":5,"output_tokens":6,"total_tokens":11}}""";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<BackendRequest> _requests = new();
    private readonly ConcurrentQueue<SemaphoreSlim> _streamGates = new();

    private TestBackend(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<BackendRequest> Requests => [.. _requests];

    /// <summary>Forgets the requests seen so far and restores the default answers (tests sharing a backend call it first).</summary>
    public void Reset()
    {
        _requests.Clear();
        ChatResponseJson = ChatCompletionJson;
        StreamEvents = StreamChunks;
        ResponsesJson = ResponseJson;
        ResponsesStreamEvents = ResponsesStream("Hel", "lo");
        ResponseHeaders = new Dictionary<string, string>();
    }

    /// <summary>What <c>POST /v1/responses</c> answers without <c>"stream": true</c>.</summary>
    public string ResponsesJson { get; set; } = ResponseJson;

    /// <summary>The events <c>POST /v1/responses</c> sends with <c>"stream": true</c>, all at once.</summary>
    public IReadOnlyList<string> ResponsesStreamEvents { get; set; } = ResponsesStream("Hel", "lo");

    /// <summary>A Responses API answer whose one message says <paramref name="text"/>.</summary>
    public static string Response(string text) =>
        ResponseJson.Replace("Hello \\u00e9t\\u00e9 from the backend.", System.Text.Json.JsonEncodedText.Encode(text).ToString(), StringComparison.Ordinal);

    /// <summary>A Responses API event stream, as OpenAI sends it, of one message whose text streams as <paramref name="pieces"/>.</summary>
    public static IReadOnlyList<string> ResponsesStream(params string[] pieces)
    {
        var sequence = 0;
        var events = new List<string>();
        void Add(string type, string fields) => events.Add($"event: {type}\ndata: {{\"type\":\"{type}\",\"sequence_number\":{sequence++},{fields}}}\n\n");
        string Encoded(string text) => System.Text.Json.JsonSerializer.Serialize(text);
        const string response = "\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1700000000,\"model\":\"llama-3-8b\"";
        var whole = Encoded(string.Concat(pieces));
        var message = $"{{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{{\"type\":\"output_text\",\"text\":{whole},\"annotations\":[]}}]}}";
        Add("response.created", $"\"response\":{{{response},\"status\":\"in_progress\",\"output\":[]}}");
        Add("response.output_item.added", "\"output_index\":0,\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}");
        Add("response.content_part.added", "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}");
        foreach (var piece in pieces)
        {
            Add("response.output_text.delta", $"\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":{Encoded(piece)}");
        }

        Add("response.output_text.done", $"\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"text\":{whole}");
        Add("response.content_part.done", $"\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"part\":{{\"type\":\"output_text\",\"text\":{whole},\"annotations\":[]}}");
        Add("response.output_item.done", $"\"output_index\":0,\"item\":{message}");
        Add("response.completed", $"\"response\":{{{response},\"status\":\"completed\",\"output\":[{message}],\"usage\":{{\"input_tokens\":5,\"output_tokens\":6,\"total_tokens\":11}}}}");
        return events;
    }

    /// <summary>What <c>POST /v1/chat/completions</c> answers; a test sets it to make the backend say something.</summary>
    public string ChatResponseJson { get; set; } = ChatCompletionJson;

    /// <summary>What <c>POST /v1/completions</c> answers.</summary>
    public string CompletionResponseJson { get; set; } =
        """{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"llama-3-8b","choices":[{"index":0,"text":"A calm story.","finish_reason":"stop"}]}""";

    /// <summary>Headers <c>POST /v1/chat/completions</c> and <c>POST /v1/chat/stream</c> add to their answers.</summary>
    public IReadOnlyDictionary<string, string> ResponseHeaders { get; set; } = new Dictionary<string, string>();

    /// <summary>The events <c>POST /v1/chat/stream</c> sends, all at once.</summary>
    public IReadOnlyList<string> StreamEvents { get; set; } = StreamChunks;

    /// <summary>A chat completion whose choices say <paramref name="contents"/>.</summary>
    public static string Completion(params string[] contents) =>
        "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":["
        + string.Join(',', contents.Select((c, i) => $"{{\"index\":{i},\"message\":{{\"role\":\"assistant\",\"content\":{System.Text.Json.JsonSerializer.Serialize(c)}}},\"finish_reason\":\"stop\"}}"))
        + "],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"total_tokens\":11}}";

    /// <summary>
    /// Released by a test to let the slow stream send its next chunk; the stream waits here between chunks, so a
    /// gateway that buffered the response would deliver nothing until the test gave up.
    /// </summary>
    public SemaphoreSlim StreamGate { get; } = new(0);

    /// <summary>Starts the backend; <paramref name="protocols"/> <c>Http2</c> makes it an h2c server (HTTP/2 with prior knowledge only).</summary>
    public static async Task<TestBackend> StartAsync(HttpProtocols protocols = HttpProtocols.Http1)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = protocols));
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
            backend.AddResponseHeaders(context.Response);
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(backend.ChatResponseJson));
        });
        app.MapPost("/v1/completions", async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(backend.CompletionResponseJson));
        });
        app.MapPost("/v1/chat/stream", backend.WriteStreamAsync);
        app.MapPost("/v1/responses", backend.WriteResponseAsync);
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
        _requests.Enqueue(new BackendRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body.ToArray(), context.Request.Protocol));
    }

    private void AddResponseHeaders(HttpResponse response)
    {
        foreach (var (name, value) in ResponseHeaders)
        {
            response.Headers[name] = value;
        }
    }

    private async Task WriteStreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        AddResponseHeaders(context.Response);
        foreach (var chunk in StreamEvents)
        {
            await context.Response.WriteAsync(chunk, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }

    // The Responses API answers with events when the request asks for a stream.
    private async Task WriteResponseAsync(HttpContext context)
    {
        using var request = await System.Text.Json.JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        if (request.RootElement.TryGetProperty("stream", out var stream) && stream.ValueKind == System.Text.Json.JsonValueKind.True)
        {
            context.Response.ContentType = "text/event-stream";
            foreach (var sseEvent in ResponsesStreamEvents)
            {
                await context.Response.WriteAsync(sseEvent, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(ResponsesJson), context.RequestAborted);
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
