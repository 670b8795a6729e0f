using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Admin;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.LlamaCpp.Classification;
using Guardrail.Tracing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Guardrail.Gateway.Tests.Tracing;

/// <summary>
/// The span tree of moderated requests, end to end: real Kestrel, real llama.cpp inference, the recording backend,
/// spans from the gateway's real OpenTelemetry set-up. Each request carries a <c>traceparent</c> of the test's own, so
/// its spans are told apart from those of other tests running in the same process.
/// </summary>
public sealed class TracingTests : IClassFixture<TracingFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private readonly TracingFixture _fixture;

    public TracingTests(TracingFixture fixture)
    {
        _fixture = fixture;
        _fixture.Backend.Reset();
    }

    private TestBackend Backend => _fixture.Backend;

    [Fact]
    public async Task SafeRequest_SpansFollowEveryStep_AndTheBackendGetsTheForwardSpansTraceparent()
    {
        var marker = Marker();
        var trace = new CallerSpan(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());

        using var response = await PostAsync("/v1/chat/completions", Chat(marker), trace);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var spans = await TraceAsync(trace, expectForward: true);
        var server = Assert.Single(spans, s => s.ParentSpanId == trace.SpanId);
        Assert.Equal("POST", server.GetTagItem("http.request.method"));
        Assert.Equal(200, server.GetTagItem("http.response.status_code"));
        Assert.Equal("chat", server.GetTagItem(GuardrailTracing.GenAiOperationAttribute));
        Assert.Equal("llama-3-8b", server.GetTagItem(GuardrailTracing.GenAiRequestModelAttribute));
        Assert.Equal(5L, server.GetTagItem(GuardrailTracing.GenAiInputTokensAttribute));
        Assert.Equal(6L, server.GetTagItem(GuardrailTracing.GenAiOutputTokensAttribute));

        var authenticate = Child(spans, server, GuardrailTracing.AuthenticateSpan);
        Assert.Equal("team-a", authenticate.GetTagItem(GuardrailTracing.TenantAttribute));
        Assert.Equal("client_key", authenticate.GetTagItem(GuardrailTracing.AuthResultAttribute));
        Assert.Equal("default", Child(spans, server, GuardrailTracing.ResolvePolicySpan).GetTagItem(GuardrailTracing.PolicyAttribute));

        var prompt = Child(spans, server, GuardrailTracing.PromptCheckSpan);
        Assert.Equal(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")), prompt.GetTagItem(GuardrailTracing.DecisionIdAttribute));
        Assert.Equal("safe", prompt.GetTagItem(GuardrailTracing.VerdictAttribute));
        Assert.Equal("allow", prompt.GetTagItem(GuardrailTracing.ActionAttribute));
        Assert.IsType<double>(prompt.GetTagItem(GuardrailTracing.ScoreAttribute));
        AssertClassified(spans, prompt);
        Assert.Equal("normal", Child(spans, prompt, GuardrailTracing.AuditWriteSpan).GetTagItem(GuardrailTracing.AuditDurabilityAttribute));

        // Forward is YARP's HttpClient span, a child of the request; the backend saw that span as its parent.
        var forward = Assert.Single(spans, static s => s.Kind == ActivityKind.Client);
        Assert.Equal(server.SpanId, forward.ParentSpanId);
        var traceparent = Assert.Single(Backend.Requests).Headers["traceparent"];
        Assert.Equal($"00-{trace.TraceId.ToHexString()}-{forward.SpanId.ToHexString()}-01", traceparent);

        var responseCheck = Child(spans, server, GuardrailTracing.ResponseCheckSpan);
        Assert.Equal("allow", responseCheck.GetTagItem(GuardrailTracing.ActionAttribute));
        Assert.True(responseCheck.StartTimeUtc >= forward.StartTimeUtc);
        AssertNoContent(spans, marker);

        // From the trace to the decisions and back: the audit API lists the request's decisions by its trace id.
        var decisions = await DecisionIdsOfTraceAsync(trace.TraceId, expected: 2);
        Assert.Equal(new[] { prompt, responseCheck }.Select(static s => (string)s.GetTagItem(GuardrailTracing.DecisionIdAttribute)!).Order(StringComparer.Ordinal), decisions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task BlockedPrompt_PromptCheckSaysBlock_AndNothingIsForwarded()
    {
        var marker = Marker();
        var trace = new CallerSpan(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());

        using var response = await PostAsync("/v1/chat/completions", Chat($"How do I build a bomb? {marker}"), trace);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var spans = await TraceAsync(trace, expectForward: false);
        var server = Assert.Single(spans, s => s.ParentSpanId == trace.SpanId);
        Assert.Equal(400, server.GetTagItem("http.response.status_code"));
        var prompt = Child(spans, server, GuardrailTracing.PromptCheckSpan);
        Assert.Equal("unsafe", prompt.GetTagItem(GuardrailTracing.VerdictAttribute));
        Assert.Equal("block", prompt.GetTagItem(GuardrailTracing.ActionAttribute));
        Assert.Equal(new[] { "S1" }, prompt.GetTagItem(GuardrailTracing.CategoriesAttribute));
        Assert.Equal(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")), prompt.GetTagItem(GuardrailTracing.DecisionIdAttribute));
        AssertClassified(spans, prompt);
        Assert.Equal("full", Child(spans, prompt, GuardrailTracing.AuditWriteSpan).GetTagItem(GuardrailTracing.AuditDurabilityAttribute));
        Assert.DoesNotContain(spans, static s => s.Kind == ActivityKind.Client || s.DisplayName == GuardrailTracing.ResponseCheckSpan);
        Assert.Empty(Backend.Requests);
        AssertNoContent(spans, marker);

        // The request's log line carries the trace id in its scope (JSON logs write it; so does the console when tracing).
        var decisionId = Assert.Single(response.Headers.GetValues("x-guardrail-decision-id"));
        var logged = Assert.Single(_fixture.Logs.Entries, e => e.EventId == 5001 && e.Message.Contains(decisionId, StringComparison.Ordinal));
        Assert.Equal(trace.TraceId.ToHexString(), logged.Scope["TraceId"]);
        Assert.Equal([decisionId], await DecisionIdsOfTraceAsync(trace.TraceId, expected: 1));
    }

    [Fact]
    public async Task BlockedResponse_ResponseCheckSaysBlock_AndNamesTheDecisionTheClientGot()
    {
        var marker = Marker();
        var trace = new CallerSpan(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());
        Backend.ChatResponseJson = TestBackend.Completion($"Here is how to build a bomb. {marker}");

        using var response = await PostAsync("/v1/chat/completions", Chat($"Tell me a story. {marker}"), trace);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("content_filter", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var spans = await TraceAsync(trace, expectForward: true);
        var server = Assert.Single(spans, s => s.ParentSpanId == trace.SpanId);
        Assert.Equal("allow", Child(spans, server, GuardrailTracing.PromptCheckSpan).GetTagItem(GuardrailTracing.ActionAttribute));
        var check = Child(spans, server, GuardrailTracing.ResponseCheckSpan);
        Assert.Equal("response", check.GetTagItem(GuardrailTracing.DirectionAttribute));
        Assert.Equal("block", check.GetTagItem(GuardrailTracing.ActionAttribute));
        Assert.Equal(new[] { "S1" }, check.GetTagItem(GuardrailTracing.CategoriesAttribute));
        Assert.Equal(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")), check.GetTagItem(GuardrailTracing.DecisionIdAttribute));
        AssertClassified(spans, check);
        Assert.Equal("full", Child(spans, check, GuardrailTracing.AuditWriteSpan).GetTagItem(GuardrailTracing.AuditDurabilityAttribute));
        AssertNoContent(spans, marker);
    }

    [Fact]
    public async Task CutStream_OneResponseCheckPerWindow_TheLastBlocks_AndTheRequestSpanRecordsTheCut()
    {
        var marker = Marker();
        var trace = new CallerSpan(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());
        string[] pieces = ["Once upon a time there was a cat ", $"called {marker} who sat ", "on a warm mat in the sun and ", "dreamed of fish and birds all ", "day long, every day, until one ", "morning a loud bomb went off."];
        Backend.StreamEvents = [.. pieces.Select(static piece =>
            $"data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{JsonSerializer.Serialize(piece)}}},\"finish_reason\":null}}]}}\n\n"), "data: [DONE]\n\n"];

        using var response = await PostAsync("/window/v1/chat/completions", Chat($"Tell me a story. {marker}", stream: true), trace);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("content_filter", text, StringComparison.Ordinal);
        Assert.DoesNotContain("bomb", text, StringComparison.Ordinal);
        var spans = await TraceAsync(trace, expectForward: true);
        var server = Assert.Single(spans, s => s.ParentSpanId == trace.SpanId);
        var windows = spans.Where(s => s.DisplayName == GuardrailTracing.ResponseCheckSpan && s.ParentSpanId == server.SpanId).OrderBy(static s => s.StartTimeUtc).ToList();
        Assert.True(windows.Count >= 2, $"expected a response check per window, got {windows.Count}");
        Assert.All(windows[..^1], static w => Assert.Equal("allow", w.GetTagItem(GuardrailTracing.ActionAttribute)));
        Assert.All(windows[..^1], static w => Assert.Equal(false, w.GetTagItem(GuardrailTracing.AuditedAttribute)));
        Assert.Equal("block", windows[^1].GetTagItem(GuardrailTracing.ActionAttribute));
        Assert.Equal(true, windows[^1].GetTagItem(GuardrailTracing.AuditedAttribute));
        Assert.All(windows, w => AssertClassified(spans, w));
        var cut = Assert.Single(server.Events, static e => e.Name == GuardrailTracing.StreamCutEvent);
        Assert.Equal(0, cut.Tags.Single(static t => t.Key == GuardrailTracing.StreamChoiceAttribute).Value);
        AssertNoContent(spans, marker);
    }

    [Fact]
    public async Task RepeatedPrompt_IsAnsweredByTheVerdictCache_WithoutClassifierSpans()
    {
        var body = Chat($"What is the capital of France? {Marker()}");
        using var first = await PostAsync("/v1/chat/completions", body, new CallerSpan(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom()));
        var trace = new CallerSpan(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());

        using var second = await PostAsync("/v1/chat/completions", body, trace);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var spans = await TraceAsync(trace, expectForward: true);
        var prompt = Child(spans, Assert.Single(spans, s => s.ParentSpanId == trace.SpanId), GuardrailTracing.PromptCheckSpan);
        Assert.Equal(true, prompt.GetTagItem(GuardrailTracing.CacheHitAttribute));
        Assert.Equal(true, Child(spans, prompt, GuardrailTracing.VerdictCacheLookupSpan).GetTagItem(GuardrailTracing.CacheHitAttribute));
        Assert.DoesNotContain(spans, s => s.ParentSpanId == prompt.SpanId && s.DisplayName is ClassifierTracing.QueueWaitSpan or ClassifierTracing.DecodeSpan);
    }

    [Fact]
    public async Task Export_SpansReachTheOtlpCollectorOverHttpProtobuf()
    {
        using var response = await PostAsync("/v1/chat/completions", Chat("Hello there."), new CallerSpan(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var provider = _fixture.Gateway.Services.GetRequiredService<TracerProvider>();
        await Eventually.SucceedsAsync(() => Task.FromResult(provider.ForceFlush(10_000) && _fixture.OtlpRequests > 0), Deadline, "an OTLP export request at the collector");
        Assert.All(_fixture.OtlpContentTypes, static type => Assert.Equal("application/x-protobuf", type));
    }

    /// <summary>The ids of the decisions the admin API lists for <paramref name="traceId"/>, once the writer has them all.</summary>
    private async Task<IReadOnlyList<string>> DecisionIdsOfTraceAsync(ActivityTraceId traceId, int expected)
    {
        using var admin = _fixture.Gateway.CreateClient(GatewayServer.AdminKey);
        IReadOnlyList<string> ids = [];
        await Eventually.SucceedsAsync(
            async () =>
            {
                using var page = JsonDocument.Parse(await admin.GetStringAsync(new Uri($"/admin/v1/decisions?trace_id={traceId.ToHexString()}", UriKind.Relative)));
                ids = [.. page.RootElement.GetProperty("data").EnumerateArray().Select(static d => d.GetProperty("id").GetString()!)];
                return ids.Count >= expected;
            },
            Deadline,
            $"{expected} audit records of trace {traceId}");
        return ids;
    }

    /// <summary>The span of the test, as the gateway's caller: the gateway's request span is its child.</summary>
    private sealed record CallerSpan(ActivityTraceId TraceId, ActivitySpanId SpanId);

    private static string Marker() => "marker" + Guid.NewGuid().ToString("N");

    private static string Chat(string content, bool stream = false) =>
        JsonSerializer.Serialize(new { model = "llama-3-8b", stream, messages = new[] { new { role = "user", content } } });

    /// <summary>
    /// Sends as a traced caller would: its own <c>traceparent</c>, from a client that makes no span of its own (in this
    /// process the gateway's HttpClient instrumentation would otherwise start a new trace for it).
    /// </summary>
    private async Task<HttpResponseMessage> PostAsync(string path, string json, CallerSpan caller)
    {
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = _fixture.Gateway.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayServer.ClientKey);
        request.Headers.Add("traceparent", $"00-{caller.TraceId.ToHexString()}-{caller.SpanId.ToHexString()}-01");
        return await client.SendAsync(request);
    }

    /// <summary>The trace's spans once the request's server span has ended (it ends after the response is sent).</summary>
    private async Task<IReadOnlyList<Activity>> TraceAsync(CallerSpan trace, bool expectForward)
    {
        IReadOnlyList<Activity> spans = [];
        await Eventually.SucceedsAsync(
            () =>
            {
                spans = _fixture.Spans.OfTrace(trace.TraceId);
                return Task.FromResult(spans.Any(s => s.ParentSpanId == trace.SpanId) && (!expectForward || spans.Any(static s => s.Kind == ActivityKind.Client)));
            },
            Deadline,
            $"the spans of trace {trace.TraceId}");
        return spans;
    }

    private static Activity Child(IReadOnlyList<Activity> spans, Activity parent, string name) =>
        Assert.Single(spans, s => s.DisplayName == name && s.ParentSpanId == parent.SpanId);

    /// <summary>A check that went to the classifier: the engine's queue wait and decode spans are its children.</summary>
    private static void AssertClassified(IReadOnlyList<Activity> spans, Activity check)
    {
        Assert.Equal(false, check.GetTagItem(GuardrailTracing.CacheHitAttribute));
        Child(spans, check, ClassifierTracing.QueueWaitSpan);
        var decode = Child(spans, check, ClassifierTracing.DecodeSpan);
        Assert.True(decode.GetTagItem(GuardrailTracing.GenAiInputTokensAttribute) is int tokens && tokens > 0);
    }

    /// <summary>No span name, attribute or event of the trace holds the text the client or the backend sent.</summary>
    private static void AssertNoContent(IReadOnlyList<Activity> spans, string marker)
    {
        foreach (var span in spans)
        {
            Assert.DoesNotContain(marker, span.DisplayName, StringComparison.Ordinal);
            foreach (var (key, value) in span.TagObjects)
            {
                Assert.DoesNotContain(marker, Describe(value), StringComparison.Ordinal);
                Assert.DoesNotContain(marker, key, StringComparison.Ordinal);
            }

            foreach (var e in span.Events)
            {
                Assert.DoesNotContain(marker, e.Name, StringComparison.Ordinal);
                Assert.All(e.Tags, tag => Assert.DoesNotContain(marker, Describe(tag.Value), StringComparison.Ordinal));
            }

            Assert.DoesNotContain(marker, span.StatusDescription ?? string.Empty, StringComparison.Ordinal);
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        System.Collections.IEnumerable items => string.Join('|', items.Cast<object?>()),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
