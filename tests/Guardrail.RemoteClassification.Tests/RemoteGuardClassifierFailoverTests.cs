using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.LlamaCpp.Classification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace Guardrail.RemoteClassification.Tests;

/// <summary>Servers that die, and servers that answer what no Llama Guard server should: never a safe verdict.</summary>
public sealed class RemoteGuardClassifierFailoverTests : IClassFixture<RemoteGuardClassifierFailoverTests.VocabularyFixture>
{
    private readonly LlamaGuardVocabulary _vocabulary;

    public RemoteGuardClassifierFailoverTests(VocabularyFixture fixture) => _vocabulary = fixture.Vocabulary;

    [Fact]
    public async Task ClassifyAsync_OneServerStoppedUnderLoad_ChecksContinueOnTheOther()
    {
        var first = await KeywordGuardPool.StartServerAsync();
        await using var second = await KeywordGuardPool.StartServerAsync();
        await using var pool = KeywordGuardPool.Pool(_vocabulary, null, first.BaseAddress, second.BaseAddress);
        var request = KeywordGuardPool.Request(new ConversationBuilder().AddUser("How do I build a bomb at home?").Build(), CheckDirection.Prompt);

        var load = Enumerable.Range(0, 40).Select(async i =>
        {
            await Task.Yield();
            return await pool.ClassifyAsync(request, CancellationToken.None);
        }).ToList();
        var stopped = Task.Run(async () =>
        {
            await load[5];
            await first.DisposeAsync();
        });
        var verdicts = await Task.WhenAll(load);
        await stopped;
        var after = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => pool.ClassifyAsync(request, CancellationToken.None).AsTask()));

        Assert.All(verdicts.Concat(after), v =>
        {
            VerdictAssert.Outcome(GuardOutcome.Unsafe, v);
            Assert.Equal(["S1"], v.Categories);
        });
        Assert.All(after, v => Assert.Equal(pool.EndpointNames[1], v.Endpoint));
    }

    [Fact]
    public async Task ClassifyAsync_BothServersStopped_IsAnErrorThatNamesNoKey()
    {
        var first = await KeywordGuardPool.StartServerAsync();
        var second = await KeywordGuardPool.StartServerAsync();
        await using var pool = KeywordGuardPool.Pool(_vocabulary, null, first.BaseAddress, second.BaseAddress);
        var request = KeywordGuardPool.Request(new ConversationBuilder().AddUser("hello").Build(), CheckDirection.Prompt);
        VerdictAssert.Outcome(GuardOutcome.Safe, await pool.ClassifyAsync(request, CancellationToken.None));

        await first.DisposeAsync();
        await second.DisposeAsync();
        var verdict = await pool.ClassifyAsync(request, CancellationToken.None);
        await pool.ProbeAllAsync(CancellationToken.None);
        var afterProbe = await pool.ClassifyAsync(request, CancellationToken.None);

        VerdictAssert.Outcome(GuardOutcome.Error, verdict);
        Assert.Null(verdict.UnsafeProbability);
        Assert.Contains("connection was refused", verdict.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(KeywordGuardPool.ApiKey, verdict.Error, StringComparison.Ordinal);
        VerdictAssert.Outcome(GuardOutcome.Error, afterProbe);
        Assert.Contains("No remote classifier endpoint is available", afterProbe.Error, StringComparison.Ordinal);
        Assert.All(pool.Status, s => Assert.False(s.Healthy));
    }

    [Theory]
    [InlineData(200, "this is not json")]
    [InlineData(200, """{"choices":[{"text":"safe","logprobs":null}]}""")]
    [InlineData(200, """{"choices":[{"text":"safe"}]}""")]
    [InlineData(200, """{"choices":[{"text":"Safe.","logprobs":{"tokens":["Safe"],"token_logprobs":[-0.1],"top_logprobs":[{"Safe":-0.1,"unsafe":-3}]}}]}""")]
    [InlineData(200, """{"choices":[{"text":"maybe","logprobs":{"tokens":["maybe"],"token_logprobs":[-0.1],"top_logprobs":[{"maybe":-0.1}]}}]}""")]
    [InlineData(500, """{"error":{"message":"boom"}}""")]
    public async Task ClassifyAsync_ServerAnswersGarbage_IsAnErrorNeverSafe(int status, string body)
    {
        await using var garbage = await ScriptedServer.StartAsync(status, body);
        await using var pool = KeywordGuardPool.Pool(_vocabulary, null, garbage.BaseAddress);
        var request = KeywordGuardPool.Request(new ConversationBuilder().AddUser("hello").Build(), CheckDirection.Prompt);

        var verdict = await pool.ClassifyAsync(request, CancellationToken.None);

        VerdictAssert.Outcome(GuardOutcome.Error, verdict);
        Assert.NotNull(verdict.Error);
    }

    [Fact]
    public async Task ClassifyAsync_OneServerAnswersGarbage_TheRetryGoesToTheOther()
    {
        await using var garbage = await ScriptedServer.StartAsync(200, """{"choices":[{"text":"safe"}]}""");
        await using var good = await KeywordGuardPool.StartServerAsync();
        await using var pool = KeywordGuardPool.Pool(_vocabulary, null, garbage.BaseAddress, good.BaseAddress);
        var request = KeywordGuardPool.Request(new ConversationBuilder().AddUser("Teach me to play the violin.").Build(), CheckDirection.Prompt);

        var verdicts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => pool.ClassifyAsync(request, CancellationToken.None).AsTask()));

        Assert.All(verdicts, v =>
        {
            VerdictAssert.Outcome(GuardOutcome.Unsafe, v);
            Assert.Equal(pool.EndpointNames[1], v.Endpoint);
        });
        Assert.True(pool.Status[0].Errors > 0);
        Assert.Equal(0, pool.Status[1].Errors);
    }

    [Fact]
    public async Task ClassifyAsync_ServerKeepsFailing_ItsBreakerOpensAndItIsSkipped()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var garbage = await ScriptedServer.StartAsync(500, "{}");
        var breakerChanges = new List<CircuitState>();
        await using var pool = new RemoteGuardClassifier(
            new RemoteClassifierOptions
            {
                Endpoints = [new RemoteEndpointOptions { Url = garbage.BaseAddress.ToString() }],
                TokenizerPath = KeywordGuardPool.ModelPath,
                AttemptTimeout = VerdictAssert.CheckDeadline,
                MinimumThroughput = 2,
            },
            _vocabulary,
            KeywordGuardPool.ContextSize,
            time: time);
        pool.BreakerChanged = (_, state) => breakerChanges.Add(state);
        var request = KeywordGuardPool.Request(new ConversationBuilder().AddUser("hello").Build(), CheckDirection.Prompt);

        for (var i = 0; i < 3; i++)
        {
            VerdictAssert.Outcome(GuardOutcome.Error, await pool.ClassifyAsync(request, CancellationToken.None));
        }

        var skipped = await pool.ClassifyAsync(request, CancellationToken.None);

        Assert.Equal([CircuitState.Open], breakerChanges);
        Assert.Equal(CircuitState.Open, pool.Status[0].Breaker);
        Assert.Contains("No remote classifier endpoint is available", skipped.Error, StringComparison.Ordinal);
        Assert.Equal(2, garbage.Requests);

        time.Advance(TimeSpan.FromSeconds(31));
        var trial = await pool.ClassifyAsync(request, CancellationToken.None);

        Assert.Contains("HTTP 500", trial.Error, StringComparison.Ordinal);
        Assert.Equal(3, garbage.Requests);
        Assert.Equal([CircuitState.Open, CircuitState.HalfOpen, CircuitState.Open], breakerChanges);
    }

    public sealed class VocabularyFixture : IDisposable
    {
        public LlamaGuardVocabulary Vocabulary { get; } = KeywordGuardPool.LoadVocabulary();

        public void Dispose() => Vocabulary.Dispose();
    }

    /// <summary>A real Kestrel server on loopback that answers every completion with one fixed status and body.</summary>
    private sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private ScriptedServer(WebApplication app) => _app = app;

        public Uri BaseAddress { get; private set; } = null!;

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<ScriptedServer> StartAsync(int status, string body)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new ScriptedServer(app);
            app.MapGet("/v1/models", () => Results.Ok(new { data = Array.Empty<object>() }));
            app.MapPost("/v1/completions", async context =>
            {
                Interlocked.Increment(ref server._requests);
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(body);
            });
            await app.StartAsync();
            server.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
