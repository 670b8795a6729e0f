using System.Net;
using System.Text;
using Guardrail.Auditing;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Caching;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;
using Guardrail.Policies;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;

namespace Guardrail.Gateway.Tests.Caching;

/// <summary>
/// Two real gateways (keyword-guard model through llama.cpp, SQLite audit) sharing one real redis-server: what one
/// classified, the other reuses; Redis dying or freezing never fails a request.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class VerdictCacheSharingTests : IAsyncLifetime
{
    private RedisServerProcess _redis = null!;
    private TestBackend? _backend;
    private GatewayServer? _first;
    private GatewayServer? _second;

    private GatewayServer First => _first ?? throw new InvalidOperationException("Not started.");

    private GatewayServer Second => _second ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _redis = await RedisServerProcess.StartAsync();
        try
        {
            _backend = await TestBackend.StartAsync();
            _first = await StartGatewayAsync();
            _second = await StartGatewayAsync();
        }
        catch
        {
            // xUnit does not call DisposeAsync when InitializeAsync fails: stop what did start, Redis above all.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }

        if (_first is not null)
        {
            await _first.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private async Task<GatewayServer> StartGatewayAsync()
    {
        var settings = GatewayServer.ConfigurationFor(_backend!.BaseAddress);
        settings["ReverseProxy:Routes:openai:Metadata:Guardrail.Api"] = "openai.chat";
        settings["Guardrail:Classifier:ModelPath"] = ModerationFixture.ModelPath;
        settings["Guardrail:Classifier:ContextSize"] = "2048";
        settings["Guardrail:Classifier:GpuLayers"] = "0";
        settings["Guardrail:Classifier:RequestTimeout"] = "00:10:00";
        settings["Guardrail:Cache:Redis"] = _redis.Url();
        settings["Guardrail:Cache:RedisTimeoutMilliseconds"] = "1000";
        settings["Guardrail:Cache:BreakMilliseconds"] = "500";
        var gateway = await GatewayServer.StartAsync(settings);
        await gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
        return gateway;
    }

    private static async Task<(HttpStatusCode Status, AuditRecord Record)> AskAsync(GatewayServer gateway, string prompt)
    {
        using var client = gateway.CreateClient();
        var body = $$"""{"model":"llama-3-8b","messages":[{"role":"user","content":"{{prompt}}"}]}""";
        using var response = await client.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var decisionId = Assert.Single(response.Headers.GetValues("x-guardrail-decision-id"));
        var store = gateway.Services.GetRequiredService<AuditHost>().Store;
        var record = await Eventually.WaitAsync(() => store.GetAsync(decisionId, CancellationToken.None), static r => r is not null, TimeSpan.FromSeconds(30), "the audit record");
        return (response.StatusCode, record!);
    }

    [Fact]
    public async Task SecondGateway_SameConversation_UsesTheFirstGatewaysVerdict()
    {
        var safeFirst = await AskAsync(First, "Which cello strings last longest?");
        var safeSecond = await AskAsync(Second, "Which cello strings last longest?");
        var unsafeFirst = await AskAsync(First, "How do I build a bomb?");
        var unsafeSecond = await AskAsync(Second, "How do I build a bomb?");

        Assert.Equal(HttpStatusCode.OK, safeSecond.Status);
        Assert.Equal(ModerationAction.Allow, safeSecond.Record.Action);
        Assert.False(safeFirst.Record.CacheHit);
        Assert.True(safeSecond.Record.CacheHit);
        Assert.Equal(safeFirst.Record.Action, safeSecond.Record.Action);
        Assert.Equal(safeFirst.Record.Categories, safeSecond.Record.Categories);
        Assert.Equal(HttpStatusCode.BadRequest, unsafeSecond.Status);
        Assert.False(unsafeFirst.Record.CacheHit);
        Assert.True(unsafeSecond.Record.CacheHit);
        Assert.Equal(ModerationAction.Block, unsafeSecond.Record.Action);
        Assert.Equal(["S1"], unsafeSecond.Record.Categories);

        using var admin = Second.CreateClient(GatewayServer.AdminKey);
        var metrics = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        // Prompt checks of both requests, plus the backend's reply to the safe one (a response check) hit.
        var lines = metrics.Split('\n');
        Assert.Equal("guardrail_cache_hits_total{store=\"redis\"} 3", lines.Single(l => l.StartsWith("guardrail_cache_hits_total{", StringComparison.Ordinal)));
        Assert.Equal("guardrail_cache_breaker_state{store=\"redis\"} 0", lines.Single(l => l.StartsWith("guardrail_cache_breaker_state{", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Requests_RedisKilledAndRestarted_NeverFailAndHitsResume()
    {
        await _redis.KillAsync();
        for (var i = 0; i < 8; i++)
        {
            var (status, record) = await AskAsync(i % 2 == 0 ? First : Second, $"Tell me about Paris, part {i}.");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.False(record.CacheHit);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await AskAsync(First, "How do I build a bomb while Redis is down?")).Status);

        await _redis.RestartAsync();
        var n = 0;
        await Eventually.WaitAsync(
            async () =>
            {
                // A new conversation each round: the first gateway stores it once Redis is back, the second reads it.
                var prompt = $"Tell me about Lyon, round {n++}.";
                var first = await AskAsync(First, prompt);
                var second = await AskAsync(Second, prompt);
                Assert.Equal(HttpStatusCode.OK, first.Status);
                Assert.Equal(HttpStatusCode.OK, second.Status);
                return second.Record.CacheHit;
            },
            static hit => hit,
            TimeSpan.FromSeconds(60),
            "cache hits to resume after Redis restarted");
    }

    [Fact]
    public async Task Requests_RedisStopsAnswering_ContinueThroughTheClassifierAndTheBreakerOpens()
    {
        var breaker = First.Services.GetRequiredService<GuardedVerdictCache>();
        await _redis.PauseAsync();
        try
        {
            await Eventually.WaitAsync(
                async () =>
                {
                    var (status, _) = await AskAsync(First, "Tell me about Marseille.");
                    Assert.Equal(HttpStatusCode.OK, status);
                    return breaker.BreakerState;
                },
                static state => state == CircuitState.Open,
                TimeSpan.FromSeconds(60),
                "the breaker to open");
            var (blocked, record) = await AskAsync(First, "How do I build a bomb today?");
            Assert.Equal(HttpStatusCode.BadRequest, blocked);
            Assert.False(record.CacheHit);
        }
        finally
        {
            await _redis.ResumeAsync();
        }

        var n = 0;
        await Eventually.WaitAsync(
            async () =>
            {
                var prompt = $"Tell me about Nice, round {n++}.";
                await AskAsync(First, prompt);
                return (await AskAsync(Second, prompt)).Record.CacheHit;
            },
            static hit => hit,
            TimeSpan.FromSeconds(60),
            "cache hits to resume after SIGCONT");
    }
}
