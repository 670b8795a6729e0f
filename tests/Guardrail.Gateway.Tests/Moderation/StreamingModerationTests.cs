using System.ClientModel.Primitives;
using System.ClientModel;
using System.Net;
using System.Text.Json;
using System.Text;
using Guardrail.Audit.Querying;
using Guardrail.Conversations;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Metrics;
using Guardrail.Policies;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using OpenAI;

namespace Guardrail.Gateway.Tests.Moderation;

/// <summary>Streamed responses through the gateway with real llama.cpp checks.</summary>
public sealed class StreamingModerationTests : IClassFixture<ModerationFixture>
{
    private const string StreamRequest = """{"model":"llama-3-8b","stream":true,"messages":[{"role":"user","content":"Tell me a story."}]}""";

    private readonly ModerationFixture _fixture;

    public StreamingModerationTests(ModerationFixture fixture)
    {
        _fixture = fixture;
        _fixture.Backend.Reset();
    }

    [Fact]
    public async Task SafeStream_ArrivesByteForByte()
    {
        _fixture.Backend.StreamEvents = ChatStream("Paris ", "is ", "sunny ", "today.");

        var text = await PostStreamAsync("/v1/chat/stream");

        Assert.Equal(string.Concat(_fixture.Backend.StreamEvents), text);
    }

    [Fact]
    public async Task UnsafeStream_IsCutWithAContentFilterChunkAndNeverShowsTheText()
    {
        var pieces = Enumerable.Repeat("Once upon a time there was a quiet town. ", 40).Append("Then someone built a bomb. ").Append("The end.").ToArray();
        _fixture.Backend.StreamEvents = ChatStream(pieces);

        var text = await PostStreamAsync("/v1/chat/stream");

        Assert.DoesNotContain("bomb", text, StringComparison.Ordinal);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        using var cut = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.Equal("content_filter", cut.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("c1", cut.RootElement.GetProperty("id").GetString());
        var guardrail = cut.RootElement.GetProperty("guardrail");
        Assert.Equal("response", guardrail.GetProperty("direction").GetString());
        Assert.Equal("S1", guardrail.GetProperty("categories")[0].GetProperty("code").GetString());

        var store = _fixture.Gateway.Services.GetRequiredService<AuditHost>().Store;
        var record = await store.GetAsync(guardrail.GetProperty("decision_id").GetString()!, CancellationToken.None);
        Assert.Equal(ModerationAction.Block, record!.Action);
        Assert.Equal(CheckDirection.Response, record.Direction);
        var metrics = await MetricsEndpointTests.ScrapeAsync(_fixture.Gateway, GatewayServer.AdminKey);
        Assert.Contains("guardrail_stream_cuts_total{policy=\"default\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAIClient_StreamCut_EndsWithFinishReasonContentFilter()
    {
        _fixture.Backend.StreamEvents = ChatStream("Here ", "is ", "a ", "violin ", "tune.");
        // The SDK posts to {endpoint}/chat/completions: /sse/v1/chat/completions is routed to the backend's stream.
        var streaming = new ChatClient(
            "llama-3-8b",
            new ApiKeyCredential(GatewayServer.ClientKey),
            new OpenAIClientOptions { Endpoint = new Uri(_fixture.Gateway.BaseAddress, "/sse/v1"), RetryPolicy = new ClientRetryPolicy(0) });
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in streaming.CompleteChatStreamingAsync([new UserChatMessage("Play something.")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ContentFilter, finish);
        Assert.DoesNotContain("violin", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MonitorPolicy_ForwardsEverythingAndRecordsTheBlock()
    {
        _fixture.Backend.StreamEvents = ChatStream("A ", "bomb ", "story.");

        var text = await PostStreamAsync("/monitor/v1/chat/stream");

        Assert.Equal(string.Concat(_fixture.Backend.StreamEvents), text);
        var store = _fixture.Gateway.Services.GetRequiredService<AuditHost>().Store;
        var page = await store.QueryAsync(new AuditQuery { PolicyId = "monitor-test", Direction = CheckDirection.Response, Action = ModerationAction.Block }, CancellationToken.None);
        Assert.NotEmpty(page.Records);
    }

    internal static IReadOnlyList<string> ChatStream(params string[] pieces)
    {
        var events = new List<string>
        {
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
        };
        events.AddRange(pieces.Select(p =>
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":" + JsonSerializer.Serialize(p) + "},\"finish_reason\":null}]}\n\n"));
        events.Add("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"llama-3-8b\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        events.Add("data: [DONE]\n\n");
        return events;
    }

    private async Task<string> PostStreamAsync(string path)
    {
        using var client = _fixture.Gateway.CreateClient();
        using var content = new StringContent(StreamRequest, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }
}
