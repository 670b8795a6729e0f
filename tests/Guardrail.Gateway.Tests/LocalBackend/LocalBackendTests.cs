using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Guardrail.Audit.Querying;
using Guardrail.Auditing;
using Guardrail.Conversations;
using Guardrail.Policies;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Tests.Admin;
using Guardrail.Gateway.Tests.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace Guardrail.Gateway.Tests.LocalBackend;

/// <summary>
/// The built-in backend end to end with the official OpenAI client: real Kestrel, the gateway's moderation both ways,
/// the generation server on its internal listener, real llama.cpp for the guard and the generator.
/// </summary>
public sealed class LocalBackendTests : IClassFixture<LocalBackendFixture>
{
    private readonly LocalBackendFixture _fixture;

    public LocalBackendTests(LocalBackendFixture fixture) => _fixture = fixture;

    private GatewayServer Gateway => _fixture.Gateway;

    [Fact]
    public async Task Chat_SafePrompt_IsAnsweredByTheBuiltInBackendAndAudited()
    {
        var completion = (await Client().CompleteChatAsync([new UserChatMessage("Tell me something nice.")])).Value;

        Assert.Equal(TestAssets.ScriptedGenerator.Answer, Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(LocalBackendFixture.ModelId, completion.Model);
        Assert.True(completion.Usage.InputTokenCount > 0, "the built-in backend counts prompt tokens");
        Assert.True(completion.Usage.OutputTokenCount > 0, "the built-in backend counts completion tokens");
        var audit = Gateway.Services.GetRequiredService<AuditHost>().Store;
        await Eventually.SucceedsAsync(
            async () => (await audit.QueryAsync(new AuditQuery { Action = ModerationAction.Allow, Limit = 10 }, CancellationToken.None)).Records.Count >= 2,
            VerdictAssert.CheckDeadline,
            "the allowed prompt and response decisions to be recorded");
    }

    [Fact]
    public async Task Chat_Streamed_IsTheSameTextChunkByChunk()
    {
        var text = new StringBuilder();
        var chunks = 0;
        ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage("Tell me something nice.")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
                chunks++;
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(TestAssets.ScriptedGenerator.Answer, text.ToString());
        Assert.True(chunks > 1, $"expected the answer in several chunks, got {chunks}");
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task Chat_UnsafePrompt_IsBlockedBeforeTheBuiltInBackend()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client().CompleteChatAsync([new UserChatMessage($"How do I build a {TestAssets.ScriptedGenerator.FlaggedWord}?")]));

        Assert.Equal(400, error.Status);
        var guardrail = Guardrail(error.GetRawResponse()!.Content.ToString());
        Assert.Equal("prompt", guardrail.GetProperty("direction").GetString());
        var record = await AuditAsync(guardrail.GetProperty("decision_id").GetString()!);
        Assert.Equal(ModerationAction.Block, record.Action);
        Assert.Equal(["S1"], record.Categories);
    }

    [Fact]
    public async Task Chat_TriggeredAnswer_IsBlockedByOutputModeration()
    {
        var completion = (await Client().CompleteChatAsync([new UserChatMessage($"Tell me about the {TestAssets.ScriptedGenerator.TriggerWord}.")])).Value;

        Assert.Equal(ChatFinishReason.ContentFilter, completion.FinishReason);
        var text = Assert.Single(completion.Content).Text;
        Assert.DoesNotContain(TestAssets.ScriptedGenerator.FlaggedWord, text, StringComparison.OrdinalIgnoreCase);
        var blocked = await Gateway.Services.GetRequiredService<AuditHost>().Store.QueryAsync(
            new AuditQuery { Action = ModerationAction.Block, Direction = CheckDirection.Response, Limit = 10 }, CancellationToken.None);
        Assert.Contains(blocked.Records, r => r.Categories.Contains("S1"));
    }

    [Fact]
    public async Task Chat_TriggeredAnswerStreamed_IsCutWithContentFilter()
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage($"Tell me about the {TestAssets.ScriptedGenerator.TriggerWord}.")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ContentFilter, finish);
        Assert.DoesNotContain(TestAssets.ScriptedGenerator.FlaggedWord, text.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Models_PassThroughToTheBuiltInBackend()
    {
        using var client = Gateway.CreateClient();
        using var json = JsonDocument.Parse(await client.GetStringAsync(new Uri("/v1/models", UriKind.Relative)));

        Assert.Contains(json.RootElement.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == LocalBackendFixture.ModelId);
    }

    [Fact]
    public async Task Readyz_NamesTheBuiltInBackend()
    {
        var checks = await ClassifierHostTests.ReadinessAsync(Gateway);

        Assert.Equal("ready", checks["local_backend"].GetProperty("status").GetString());
        Assert.Contains("internal listener http://127.0.0.1:", checks["local_backend"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("ready", checks["classifier"].GetProperty("status").GetString());
    }

    [Fact]
    public async Task InternalListener_IsLoopbackOnly_AndNotTheGatewaysPort()
    {
        var address = Gateway.Services.GetRequiredService<Gateway.LocalBackend.LocalBackendHost>().Address;

        Assert.NotNull(address);
        Assert.Equal("127.0.0.1", address.Host);
        Assert.NotEqual(Gateway.BaseAddress.Port, address.Port);

        // The gateway's own port still wants a key for the same path: clients never reach the backend around moderation.
        using var anonymous = Gateway.CreateClient(key: null);
        using var response = await anonymous.PostAsJsonAsync(new Uri("/v1/chat/completions", UriKind.Relative), new { model = "m", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void Announcement_NamesTheBaseUrlAndTheReviewPage()
    {
        var listening = Assert.Single(_fixture.Logs.GetSnapshot(), r => r.Id.Id == GatewayEventIds.Listening);
        var root = Gateway.BaseAddress.GetLeftPart(UriPartial.Authority);

        Assert.Contains($"{root}/v1", listening.Message, StringComparison.Ordinal);
        Assert.Contains($"{root}/admin/review", listening.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_fixture.Logs.GetSnapshot(), r => r.Id.Id is GatewayEventIds.DevelopmentClientKey or GatewayEventIds.DevelopmentAdminKey);
    }

    private static JsonElement Guardrail(string body)
    {
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("guardrail").Clone();
    }

    private async Task<AuditRecord> AuditAsync(string decisionId)
    {
        var record = await Gateway.Services.GetRequiredService<AuditHost>().Store.GetAsync(decisionId, CancellationToken.None);
        Assert.NotNull(record);
        return record;
    }

    private ChatClient Client() => new(
        LocalBackendFixture.ModelId,
        new ApiKeyCredential(GatewayServer.ClientKey),
        new OpenAIClientOptions { Endpoint = new Uri(Gateway.BaseAddress, "/v1"), RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = VerdictAssert.CheckDeadline });
}
