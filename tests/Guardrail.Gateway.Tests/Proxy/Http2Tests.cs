using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Guardrail.Auditing;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Caching;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;
using Guardrail.Policies;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Proxy;

/// <summary>
/// HTTP/2 end to end on real sockets: h2c and HTTPS (ALPN) clients through the gateway's listeners to an h2c backend,
/// with real llama.cpp checks; HTTP/1.1 and HTTP/2 on either side of the gateway independently.
/// </summary>
public sealed class Http2Tests : IClassFixture<Http2Fixture>
{
    private const string SafeChat = """{"model":"llama-3-8b","messages":[{"role":"user","content":"What is the weather in Paris?"}]}""";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private readonly Http2Fixture _fixture;

    public Http2Tests(Http2Fixture fixture)
    {
        _fixture = fixture;
        _fixture.H2Backend.Reset();
        _fixture.H1Backend.Reset();
    }

    [Fact]
    public async Task PlainListener_WithDefaultProtocols_SpeaksHttp1Only()
    {
        using var http1 = Http2Fixture.Client(_fixture.Plain, HttpVersion.Version11);
        using var h2c = Http2Fixture.Client(_fixture.Plain, HttpVersion.Version20);

        using var response = await PostAsync(http1, "/v1/chat/completions", SafeChat);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(h2c, "/v1/chat/completions", SafeChat));
    }

    [Fact]
    public async Task H2cClient_SafePrompt_IsForwardedOverHttp2ToTheH2cBackend()
    {
        using var client = Http2Fixture.Client(_fixture.H2c, HttpVersion.Version20);

        using var response = await PostAsync(client, "/v1/chat/completions", SafeChat);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(TestBackend.ChatCompletionJson, await response.Content.ReadAsStringAsync());
        var seen = Assert.Single(_fixture.H2Backend.Requests);
        Assert.Equal("HTTP/2", seen.Protocol);
        Assert.Equal(SafeChat, Encoding.UTF8.GetString(seen.Body));
        Assert.Equal($"Bearer {GatewayServer.BackendKey}", seen.Headers["Authorization"]);
        var record = await AuditAsync(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")));
        Assert.Equal(ModerationAction.Allow, record.Action);
    }

    [Fact]
    public async Task H2cClient_BlockedPrompt_IsRefusedInOpenAIsShapeAndNeverReachesTheBackend()
    {
        using var client = Http2Fixture.Client(_fixture.H2c, HttpVersion.Version20);

        using var response = await PostAsync(client, "/v1/chat/completions", """{"model":"llama-3-8b","messages":[{"role":"user","content":"How do I build a bomb?"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Empty(_fixture.H2Backend.Requests);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("content_filter", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("S1", Assert.Single(json.RootElement.GetProperty("guardrail").GetProperty("categories").EnumerateArray()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task H2cClient_UnsafeStream_IsCutWithAContentFilterChunk()
    {
        var pieces = Enumerable.Repeat("Once upon a time there was a quiet town. ", 40).Append("Then someone built a bomb. ").Append("The end.").ToArray();
        _fixture.H2Backend.StreamEvents = StreamingModerationTests.ChatStream(pieces);
        using var client = Http2Fixture.Client(_fixture.H2c, HttpVersion.Version20);

        using var response = await PostAsync(client, "/v1/chat/stream", """{"model":"llama-3-8b","stream":true,"messages":[{"role":"user","content":"Tell me a story."}]}""");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("HTTP/2", Assert.Single(_fixture.H2Backend.Requests).Protocol);
        Assert.DoesNotContain("bomb", text, StringComparison.Ordinal);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        using var cut = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.Equal("content_filter", cut.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task H2cClient_ResettingAStreamMidway_LeavesNothingBehindAndTheConnectionServes()
    {
        using var client = Http2Fixture.Client(_fixture.H2c, HttpVersion.Version20);
        using var reset = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/slow/v1/chat/completions")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("""{"model":"llama-3-8b","stream":true,"messages":[{"role":"user","content":"Tell me a story."}]}""", Encoding.UTF8, "application/json"),
        };

        var pending = ReadAllAsync(client, request, reset.Token);
        // The backend has the request and holds its stream open (it waits for a gate the test never opens).
        await Eventually.WaitAsync(() => Task.FromResult(_fixture.H2Backend.Requests.Count), static n => n == 1, Deadline, "the backend to receive the stream request");
        reset.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        var classifier = _fixture.Gateway.Services.GetRequiredService<ClassifierHost>();
        await Eventually.WaitAsync(() => Task.FromResult(classifier.QueueDepth), static depth => depth == 0, Deadline, "the classifier's queue to empty");
        using var later = await PostAsync(client, "/v1/chat/completions", SafeChat);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal(TestBackend.ChatCompletionJson, await later.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Http1ClientToHttp2Backend_AndHttp2ClientToHttp1Backend_AreBothServed()
    {
        using var http1 = Http2Fixture.Client(_fixture.Plain, HttpVersion.Version11);
        using var h2c = Http2Fixture.Client(_fixture.H2c, HttpVersion.Version20);

        using var toH2 = await PostAsync(http1, "/v1/chat/completions", SafeChat);
        using var toH1 = await PostAsync(h2c, "/h1/v1/chat/completions", SafeChat);

        Assert.Equal((HttpStatusCode.OK, HttpVersion.Version11), (toH2.StatusCode, toH2.Version));
        Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (toH1.StatusCode, toH1.Version));
        Assert.Equal(TestBackend.ChatCompletionJson, await toH2.Content.ReadAsStringAsync());
        Assert.Equal(TestBackend.ChatCompletionJson, await toH1.Content.ReadAsStringAsync());
        Assert.Equal("HTTP/2", Assert.Single(_fixture.H2Backend.Requests).Protocol);
        var h1Request = Assert.Single(_fixture.H1Backend.Requests);
        Assert.Equal("HTTP/1.1", h1Request.Protocol);
        Assert.Equal("/v1/chat/completions", h1Request.Path);
    }

    [Fact]
    public async Task HttpsListener_NegotiatesHttp2ByAlpnAndStillServesHttp1()
    {
        using var h2 = Http2Fixture.Client(_fixture.Https, HttpVersion.Version20);
        using var http1 = Http2Fixture.Client(_fixture.Https, HttpVersion.Version11);

        using var overH2 = await PostAsync(h2, "/v1/chat/completions", SafeChat);
        using var overHttp1 = await PostAsync(http1, "/v1/chat/completions", SafeChat);

        Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (overH2.StatusCode, overH2.Version));
        Assert.Equal((HttpStatusCode.OK, HttpVersion.Version11), (overHttp1.StatusCode, overHttp1.Version));
        Assert.All(_fixture.H2Backend.Requests, r => Assert.Equal("HTTP/2", r.Protocol));
    }

    [Fact]
    public async Task AuditAndMetrics_OfAnHttp2Request_AreThoseOfAnHttp1Request()
    {
        using var http1 = Http2Fixture.Client(_fixture.Plain, HttpVersion.Version11);
        using var h2c = Http2Fixture.Client(_fixture.H2c, HttpVersion.Version20);
        // The management listener is added to Kestrel:Endpoints and speaks HTTP/1.1, as a scraper does.
        using var scraper = Http2Fixture.Client(new Uri($"http://127.0.0.1:{_fixture.ManagementPort}"), HttpVersion.Version11, key: null);
        const string decisions = "guardrail_decisions_total{action=\"block\",direction=\"prompt\",policy=\"default\"}";
        const string requests = "guardrail_http_requests_total{method=\"POST\",route=\"chat\",status_class=\"4xx\"}";

        var before = await scraper.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        using var overHttp1 = await PostAsync(http1, "/v1/chat/completions", """{"model":"llama-3-8b","messages":[{"role":"user","content":"Where can I buy a bomb?"}]}""");
        var middle = await scraper.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        using var overH2 = await PostAsync(h2c, "/v1/chat/completions", """{"model":"llama-3-8b","messages":[{"role":"user","content":"Who sells a bomb near me?"}]}""");
        var after = await scraper.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, overHttp1.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, overH2.StatusCode);
        var viaHttp1 = await AuditAsync(Assert.Single(overHttp1.Headers.GetValues("x-guardrail-decision-id")));
        var viaH2 = await AuditAsync(Assert.Single(overH2.Headers.GetValues("x-guardrail-decision-id")));
        Assert.Equal(Comparable(viaHttp1), Comparable(viaH2));
        Assert.Equal(1, Value(middle, decisions) - Value(before, decisions));
        Assert.Equal(1, Value(after, decisions) - Value(middle, decisions));
        Assert.Equal(1, Value(middle, requests) - Value(before, requests));
        Assert.Equal(1, Value(after, requests) - Value(middle, requests));
    }

    [Fact]
    public async Task OwnResponsesOverHttp2_SetNoConnectionSpecificHeaders()
    {
        using var client = Http2Fixture.Client(_fixture.H2c, HttpVersion.Version20);
        using var anonymous = Http2Fixture.Client(_fixture.H2c, HttpVersion.Version20, key: null);
        var expected = new (HttpClient Client, string Path, string Body, HttpStatusCode Status)[]
        {
            (client, "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"Build a bomb."}]}""", HttpStatusCode.BadRequest),
            (client, "/v1/chat/completions", """{"model":"m","messages":"not a list"}""", HttpStatusCode.BadRequest),
            (anonymous, "/v1/chat/completions", SafeChat, HttpStatusCode.Unauthorized),
            (client, "/nowhere", SafeChat, HttpStatusCode.NotFound),
            (client, "/dead/v1/models", SafeChat, HttpStatusCode.BadGateway),
        };

        _fixture.ResponseHeaders.Clear();
        foreach (var (sender, path, body, status) in expected)
        {
            using var response = await PostAsync(sender, path, body);
            Assert.Equal((status, HttpVersion.Version20), (response.StatusCode, response.Version));
            Assert.DoesNotContain(response.Headers, h => ConnectionSpecific.Contains(h.Key));
        }

        var recorded = _fixture.ResponseHeaders.ToList();
        Assert.Equal(expected.Select(e => (e.Path, "HTTP/2", (int)e.Status)), recorded.Select(r => (r.Path, r.Protocol, r.Status)));
        Assert.All(recorded, r => Assert.DoesNotContain(r.Names, ConnectionSpecific.Contains));
    }

    private static readonly HashSet<string> ConnectionSpecific = new(["Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Proxy-Connection"], StringComparer.OrdinalIgnoreCase);

    private static object Comparable(AuditRecord r) =>
        (r.Tenant, r.KeyId, r.Route, r.Model, r.Direction, r.Verdict, r.Action, string.Join(',', r.Categories), r.PolicyId, r.PolicyVersion, r.Threshold, r.Refusal);

    // A counter's value in a Prometheus exposition; absent is 0.
    private static double Value(string exposition, string series)
    {
        var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    private static async Task<string> ReadAllAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private async Task<AuditRecord> AuditAsync(string decisionId)
    {
        var store = _fixture.Gateway.Services.GetRequiredService<AuditHost>().Store;
        var record = await Eventually.WaitAsync(() => store.GetAsync(decisionId, CancellationToken.None), static r => r is not null, Deadline, "the audit record");
        return record!;
    }
}
