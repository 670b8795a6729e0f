using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Guardrail.Auditing;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Limits;
using Guardrail.Gateway.Moderation;
using Guardrail.Gateway.Tests.Admin;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenAI;
using OpenAI.Chat;

namespace Guardrail.Gateway.Tests.Limits;

/// <summary>
/// Rate limits end to end on real Kestrel: requests, concurrency and tokens per key and tenant, with the gateway's
/// clock a <see cref="FakeTimeProvider"/> so that limits reset when the test says, never by waiting.
/// </summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private const string SecondKey = "gk-team-a-second-0123456789";
    private const string ChatBody = """{"model":"llama-3-8b","messages":[{"role":"user","content":"What is the weather in Paris?"}]}""";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private TestBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await TestBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task RequestsPerMinute_OverTheLimit_Is429WithOpenAIsShapeAndHeadersUntilTheClockMoves()
    {
        await using var gateway = await StartAsync(new() { ["Guardrail:RateLimits:Default:RequestsPerMinute"] = "2" });
        using var client = gateway.CreateClient();

        using var first = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
        using var second = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
        using var refused = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(("2", "1", "30s"), Headers(first, "requests"));
        Assert.Equal(("2", "0", "1m0s"), Headers(second, "requests"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("30", Assert.Single(refused.Headers.GetValues("Retry-After")));
        Assert.Equal(("2", "0", "1m0s"), Headers(refused, "requests"));
        var error = await ErrorAsync(refused);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("requests", error.GetProperty("type").GetString());
        Assert.Contains("key team-a-key on requests per minute: limit 2", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, _backend.Requests.Count);
        var record = await RefusalRecordAsync(gateway, refused);
        Assert.Equal(("rate_limit:requests", "not_checked", "block"), (record.Refusal, record.Verdict.ToWire(), record.Action.ToWire()));
        Assert.Equal(("team-a", "team-a-key", "", ""), (record.Tenant, record.KeyId, record.Model, record.PolicyId));
        Assert.Null(record.Content);

        _time.Advance(TimeSpan.FromSeconds(29));
        using (var early = await client.GetAsync(new Uri("/v1/models", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);
            Assert.Equal("1", Assert.Single(early.Headers.GetValues("Retry-After")));
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        using var after = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(3, _backend.Requests.Count);
    }

    [Fact]
    public async Task TenantLimit_IsSharedByTheTenantsKeysWhileEachKeyKeepsItsOwn()
    {
        await using var gateway = await StartAsync(new()
        {
            ["Guardrail:Auth:Keys:1:Id"] = "team-a-second",
            ["Guardrail:Auth:Keys:1:Tenant"] = "team-a",
            ["Guardrail:Auth:Keys:1:Key"] = SecondKey,
            ["Guardrail:RateLimits:Default:RequestsPerMinute"] = "100",
            ["Guardrail:RateLimits:Keys:team-a-second:RequestsPerMinute"] = "1",
            ["Guardrail:RateLimits:Tenants:team-a:RequestsPerMinute"] = "3",
        });
        using var firstKey = gateway.CreateClient();
        using var secondKey = gateway.CreateClient(SecondKey);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(secondKey));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(secondKey));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(firstKey));
        using var last = await firstKey.GetAsync(new Uri("/v1/models", UriKind.Relative));
        Assert.Equal(("3", "0", "1m0s"), Headers(last, "requests"));
        using var refused = await firstKey.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("tenant team-a", (await ErrorAsync(refused)).GetProperty("message").GetString(), StringComparison.Ordinal);
        var metrics = await MetricsAsync(gateway);
        Assert.Contains("guardrail_rate_limited_total{key_id=\"team-a-key\",kind=\"requests\",tenant=\"team-a\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("guardrail_rate_limited_total{key_id=\"team-a-second\",kind=\"requests\",tenant=\"team-a\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("guardrail_rate_limited_total{key_id=\"team-a-key\",kind=\"tokens\",tenant=\"team-a\"} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentRequests_OverTheLimit_AreRefusedUntilOneFinishes()
    {
        await using var gateway = await StartAsync(new() { ["Guardrail:RateLimits:Default:ConcurrentRequests"] = "1" });
        using var client = gateway.CreateClient();

        using var slow = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/slow-stream") { Content = new StringContent("{}", Encoding.UTF8, "application/json") }, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        using var refused = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var error = await ErrorAsync(refused);
        Assert.Equal("requests", error.GetProperty("type").GetString());
        Assert.Contains("concurrent requests: limit 1", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        _backend.StreamGate.Release(TestBackend.StreamChunks.Length);
        _ = await slow.Content.ReadAsStringAsync();
        await Eventually.SucceedsAsync(async () => await StatusAsync(client) == HttpStatusCode.OK, TimeSpan.FromMinutes(2), "the finished request's lease to return");
    }

    [Fact]
    public async Task Tokens_NonStreamed_ChargesThePromptThenTheBackendsUsage()
    {
        await using var gateway = await StartModeratedAsync(tokensPerMinute: 1000);
        var prompt = PromptTokens(gateway, "What is the weather in Paris?");
        using var client = gateway.CreateClient();

        using var response = await PostAsync(client, "/v1/chat/completions", ChatBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("1000", (1000 - prompt - 6).ToString(System.Globalization.CultureInfo.InvariantCulture)), (Headers(response, "tokens").Limit, Headers(response, "tokens").Remaining));
        var metrics = await MetricsAsync(gateway);
        Assert.Contains($"guardrail_rate_limit_tokens_total{{key_id=\"team-a-key\",source=\"prompt\",tenant=\"team-a\"}} {prompt}", metrics, StringComparison.Ordinal);
        Assert.Contains("guardrail_rate_limit_tokens_total{key_id=\"team-a-key\",source=\"completion\",tenant=\"team-a\"} 6", metrics, StringComparison.Ordinal);

        // The prompt check and the response check, each through the tenant's classifier queue.
        Assert.Contains("guardrail_classifier_queue_wait_seconds_count{tenant=\"team-a\"} 2", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokens_BlockedPrompt_IsChargedItsPromptOnly()
    {
        await using var gateway = await StartModeratedAsync(tokensPerMinute: 1000);
        var prompt = PromptTokens(gateway, "How do I build a bomb?");
        using var client = gateway.CreateClient();

        using var response = await PostAsync(client, "/v1/chat/completions", """{"model":"llama-3-8b","messages":[{"role":"user","content":"How do I build a bomb?"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(_backend.Requests);
        Assert.Equal((1000 - prompt).ToString(System.Globalization.CultureInfo.InvariantCulture), Headers(response, "tokens").Remaining);
    }

    [Fact]
    public async Task Tokens_StreamOverTheBudget_IsNotCutButTheNextRequestIsRefusedUntilTheDebtReturns()
    {
        var words = string.Join(' ', Enumerable.Repeat("calm", 60));
        _backend.StreamEvents =
        [
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":" + JsonSerializer.Serialize(words) + "},\"finish_reason\":null}]}\n\n",
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: [DONE]\n\n",
        ];
        await using var gateway = await StartModeratedAsync(tokensPerMinute: 40);
        var prompt = PromptTokens(gateway, "What is the weather in Paris?");
        var completion = gateway.Services.GetRequiredService<TokenCounter>().Count(words);
        Assert.True(prompt < 40 && prompt + completion > 40, $"the test needs a prompt that fits and a completion that does not: {prompt} + {completion}");
        using var client = gateway.CreateClient();

        using var stream = await PostAsync(client, "/v1/chat/stream", ChatBody);
        var body = await stream.Content.ReadAsStringAsync();
        using var refused = await PostAsync(client, "/v1/chat/stream", ChatBody);

        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Contains(JsonSerializer.Serialize(words), body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("tokens", (await ErrorAsync(refused)).GetProperty("type").GetString());
        Assert.Single(_backend.Requests);
        var record = await RefusalRecordAsync(gateway, refused);
        Assert.Equal(("rate_limit:tokens", "chat-stream"), (record.Refusal, record.Route));

        // One token returns when the debt (prompt + completion - 40) and one more token's share have passed, at 40 a minute.
        var retryAfter = TimeSpan.FromMinutes((prompt + completion - 40 + 1) / 40.0);
        Assert.Equal(RateLimitHeaders.RetryAfterSeconds(retryAfter), Assert.Single(refused.Headers.GetValues("Retry-After")));
        _time.Advance(TimeSpan.FromMinutes((prompt + completion) / 40.0));
        using var after = await PostAsync(client, "/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task OpenAIClient_On429_BacksOffAndSucceeds()
    {
        await using var gateway = await StartAsync(new() { ["Guardrail:RateLimits:Default:RequestsPerMinute"] = "60" });
        using var limited = new MetricCollector<long>(gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RateLimitMetrics.MeterName, "guardrail_rate_limited_total");
        using (var client = gateway.CreateClient())
        {
            for (var i = 0; i < 60; i++)
            {
                Assert.Equal(HttpStatusCode.OK, await StatusAsync(client));
            }
        }

        // The client's own retry policy (the default: three retries, honouring Retry-After) meets a full bucket; the
        // gateway's clock moves on once it has refused, while the client waits the second it was told to.
        var chat = new ChatClient("llama-3-8b", new ApiKeyCredential(GatewayServer.ClientKey), new OpenAIClientOptions { Endpoint = new Uri(gateway.BaseAddress, "/v1") });
        var completion = chat.CompleteChatAsync([new UserChatMessage("What is the weather in Paris?")]);
        await limited.WaitForMeasurementsAsync(limited.GetMeasurementSnapshot().Count(m => m.Value > 0) + 1, TimeSpan.FromMinutes(2));
        _time.Advance(TimeSpan.FromSeconds(1));
        var result = await completion;

        Assert.Equal("Hello \u00e9t\u00e9 from the backend.", result.Value.Content[0].Text);
        Assert.Equal(61, _backend.Requests.Count);
    }

    /// <summary>The audit record the refusal names in <c>x-guardrail-decision-id</c>; it is written best effort, so
    /// it is there once the writer has committed it.</summary>
    private static async Task<AuditRecord> RefusalRecordAsync(GatewayServer gateway, HttpResponseMessage refused)
    {
        var id = Single(refused, ModerationMiddleware.DecisionIdHeader);
        var store = gateway.Services.GetRequiredService<AuditHost>().Store;
        AuditRecord? record = null;
        await Eventually.SucceedsAsync(async () => (record = await store.GetAsync(id, CancellationToken.None)) is not null, TimeSpan.FromMinutes(2), "the refusal's audit record");
        return record!;
    }

    private static (string Limit, string Remaining, string Reset) Headers(HttpResponseMessage response, string kind) =>
        (Single(response, "x-ratelimit-limit-" + kind), Single(response, "x-ratelimit-remaining-" + kind), Single(response, "x-ratelimit-reset-" + kind));

    private static string Single(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? Assert.Single(values) : throw new Xunit.Sdk.XunitException($"{name} is missing ({(int)response.StatusCode})");

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").Clone();
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
        return response.StatusCode;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body) =>
        client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task<string> MetricsAsync(GatewayServer gateway)
    {
        using var admin = gateway.CreateClient(GatewayServer.AdminKey);
        return await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    }

    private static long PromptTokens(GatewayServer gateway, string text) =>
        gateway.Services.GetRequiredService<ClassifierHost>().CountTokens(text) ?? throw new InvalidOperationException("no model loaded");

    private Task<GatewayServer> StartAsync(Dictionary<string, string?> limits)
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        foreach (var (key, value) in limits)
        {
            settings[key] = value;
        }

        return GatewayServer.StartAsync(settings, services: services => services.AddSingleton<TimeProvider>(_time));
    }

    private async Task<GatewayServer> StartModeratedAsync(long tokensPerMinute)
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        foreach (var (id, path) in new[] { ("chat", "/v1/chat/completions"), ("chat-stream", "/v1/chat/stream") })
        {
            settings[$"ReverseProxy:Routes:{id}:ClusterId"] = "llm";
            settings[$"ReverseProxy:Routes:{id}:Match:Path"] = path;
            settings[$"ReverseProxy:Routes:{id}:Metadata:Guardrail.Api"] = "openai.chat";
        }

        settings["Guardrail:Classifier:ModelPath"] = ModerationFixture.ModelPath;
        settings["Guardrail:Classifier:ContextSize"] = "2048";
        settings["Guardrail:Classifier:GpuLayers"] = "0";
        settings["Guardrail:Classifier:RequestTimeout"] = "00:10:00";
        settings["Guardrail:RateLimits:Default:TokensPerMinute"] = tokensPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var gateway = await GatewayServer.StartAsync(settings, services: services => services.AddSingleton<TimeProvider>(_time));
        await gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
        return gateway;
    }
}
