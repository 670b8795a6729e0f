using System.ClientModel.Primitives;
using System.ClientModel;
using System.Net;
using System.Text.Json;
using System.Text;
using Guardrail.Auditing;
using Guardrail.Conversations;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Metrics;
using Guardrail.Policies;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Responses;

namespace Guardrail.Gateway.Tests.Moderation;

/// <summary>
/// <c>POST /v1/responses</c> through the gateway with the official OpenAI client's Responses API, streamed and not,
/// against the recording backend speaking the Responses API, checked by real llama.cpp inference.
/// </summary>
#pragma warning disable OPENAI001 // The SDK marks its Responses client as evaluation-only; it is the one OpenAI ships.
public sealed class ResponsesModerationTests : IClassFixture<ModerationFixture>
{
    private readonly ModerationFixture _fixture;

    public ResponsesModerationTests(ModerationFixture fixture)
    {
        _fixture = fixture;
        _fixture.Backend.Reset();
    }

    private TestBackend Backend => _fixture.Backend;

    private GatewayServer Gateway => _fixture.Gateway;

    [Fact]
    public async Task OpenAIClient_SafeResponse_ArrivesAndTheCheckedBodyIsForwardedUnchanged()
    {
        var options = new CreateResponseOptions("llama-3-8b", [ResponseItem.CreateUserMessageItem("What is the weather in Paris?")])
        {
            Instructions = "Answer in one sentence.",
            PreviousResponseId = "resp_0",
        };

        var response = (await Client().CreateResponseAsync(options)).Value;

        Assert.Equal("Hello été from the backend.", response.GetOutputText());
        using var forwarded = JsonDocument.Parse(Assert.Single(Backend.Requests).Body);
        Assert.Equal("resp_0", forwarded.RootElement.GetProperty("previous_response_id").GetString());
        Assert.Equal("Answer in one sentence.", forwarded.RootElement.GetProperty("instructions").GetString());
    }

    [Fact]
    public async Task SafePrompt_BodyIsForwardedByteForByteAndBothChecksAreAudited()
    {
        const string body = """{"model":"llama-3-8b","instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"Weather in Paris?"}]}]}""";

        using var response = await PostAsync("/v1/responses", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TestBackend.ResponseJson, await response.Content.ReadAsStringAsync());
        Assert.Equal(body, Encoding.UTF8.GetString(Assert.Single(Backend.Requests).Body));
        var record = await AuditAsync(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")));
        Assert.Equal(ModerationAction.Allow, record.Action);
    }

    [Fact]
    public async Task OpenAIClient_BlockedPrompt_Is400ContentFilterAndNeverReachesTheBackend()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client().CreateResponseAsync("llama-3-8b", "How do I build a bomb?"));

        Assert.Equal(400, error.Status);
        Assert.Empty(Backend.Requests);
        using var json = JsonDocument.Parse(error.GetRawResponse()!.Content.ToString());
        Assert.Equal("content_filter", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        var guardrail = json.RootElement.GetProperty("guardrail");
        Assert.Equal("prompt", guardrail.GetProperty("direction").GetString());
        var record = await AuditAsync(guardrail.GetProperty("decision_id").GetString()!);
        Assert.Equal(ModerationAction.Block, record.Action);
        Assert.Equal(CheckDirection.Prompt, record.Direction);
    }

    [Fact]
    public async Task OpenAIClient_UnsafeFunctionCallOutput_IsCheckedWithThePrompt()
    {
        var options = new CreateResponseOptions("llama-3-8b",
        [
            ResponseItem.CreateUserMessageItem("Look it up for me."),
            ResponseItem.CreateFunctionCallItem("call_1", "search", BinaryData.FromString("""{"q":"recipes"}""")),
            ResponseItem.CreateFunctionCallOutputItem("call_1", "Step one: build the bomb."),
        ]);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client().CreateResponseAsync(options));

        Assert.Equal(400, error.Status);
        Assert.Empty(Backend.Requests);
    }

    [Fact]
    public async Task OpenAIClient_BlockedPromptUnderARefusalPolicy_IsAnIncompleteResponseWithTheRefusal()
    {
        var response = (await Client("/refusal/v1").CreateResponseAsync("llama-3-8b", "How do I build a bomb?")).Value;

        Assert.Empty(Backend.Requests);
        Assert.Equal(ResponseStatus.Incomplete, response.Status);
        Assert.Equal(ResponseIncompleteStatusReason.ContentFilter, response.IncompleteStatusDetails.Reason);
        Assert.Equal(ModerationFixture.RefusalText, RefusalOf(response));
    }

    [Fact]
    public async Task OpenAIClient_BlockedResponse_IsReplacedByTheRefusalAndAudited()
    {
        Backend.ResponsesJson = TestBackend.Response("Step one of the bomb is this.");

        var result = await Client().CreateResponseAsync("llama-3-8b", "Tell me a story.");
        var response = result.Value;

        Assert.Equal(ResponseStatus.Incomplete, response.Status);
        Assert.Equal(ResponseIncompleteStatusReason.ContentFilter, response.IncompleteStatusDetails.Reason);
        Assert.Equal("I can't help with that request.", RefusalOf(response));
        var raw = result.GetRawResponse().Content.ToString();
        Assert.DoesNotContain("bomb", raw, StringComparison.Ordinal);
        Assert.Equal(6, response.Usage.OutputTokenCount);
        using var json = JsonDocument.Parse(raw);
        var record = await AuditAsync(json.RootElement.GetProperty("guardrail").GetProperty("decision_id").GetString()!);
        Assert.Equal(ModerationAction.Block, record.Action);
        Assert.Equal(CheckDirection.Response, record.Direction);
    }

    [Fact]
    public async Task BlockedFunctionCallArguments_AreReplacedByTheRefusal()
    {
        Backend.ResponsesJson = """{"id":"resp_2","object":"response","created_at":1,"status":"completed","model":"llama-3-8b","output":[{"id":"fc_1","type":"function_call","status":"completed","call_id":"call_1","name":"order","arguments":"{\"item\":\"a bomb\"}"}]}""";

        using var response = await PostAsync("/v1/responses", """{"model":"llama-3-8b","input":"Order me something."}""");

        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("bomb", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("incomplete", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenAIClient_SafeStream_DeltasArriveAndTheBytesAreTheBackends()
    {
        Backend.ResponsesStreamEvents = TestBackend.ResponsesStream("Paris ", "is ", "sunny ", "today.");

        var text = new StringBuilder();
        ResponseResult? completed = null;
        await foreach (var update in await Client().CreateResponseStreamingAsync("llama-3-8b", "Weather?"))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }

        Assert.Equal("Paris is sunny today.", text.ToString());
        Assert.Equal(ResponseStatus.Completed, completed?.Status);
        Assert.Equal(string.Concat(Backend.ResponsesStreamEvents), await PostStreamAsync("/v1/responses"));
    }

    [Fact]
    public async Task OpenAIClient_StreamCut_EndsIncompleteWithTheRefusalAndNeverShowsTheText()
    {
        var pieces = Enumerable.Repeat("Once upon a time there was a quiet town. ", 40).Append("Then someone built a bomb. ").Append("The end.").ToArray();
        Backend.ResponsesStreamEvents = TestBackend.ResponsesStream(pieces);

        var text = new StringBuilder();
        ResponseResult? incomplete = null;
        await foreach (var update in await Client().CreateResponseStreamingAsync("llama-3-8b", "Tell me a story."))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseIncompleteUpdate end)
            {
                incomplete = end.Response;
            }
        }

        Assert.DoesNotContain("bomb", text.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("Once upon a time", text.ToString(), StringComparison.Ordinal);
        Assert.NotNull(incomplete);
        Assert.Equal(ResponseStatus.Incomplete, incomplete.Status);
        Assert.Equal(ResponseIncompleteStatusReason.ContentFilter, incomplete.IncompleteStatusDetails.Reason);
        Assert.Equal("I can't help with that request.", RefusalOf(incomplete));

        var raw = await PostStreamAsync("/v1/responses");
        Assert.DoesNotContain("bomb", raw, StringComparison.Ordinal);
        var last = raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1];
        using var cut = JsonDocument.Parse(last[(last.IndexOf("data: ", StringComparison.Ordinal) + "data: ".Length)..]);
        var guardrail = cut.RootElement.GetProperty("guardrail");
        Assert.Equal("response", guardrail.GetProperty("direction").GetString());
        var record = await AuditAsync(guardrail.GetProperty("decision_id").GetString()!);
        Assert.Equal(ModerationAction.Block, record.Action);
        var metrics = await MetricsEndpointTests.ScrapeAsync(Gateway, GatewayServer.AdminKey);
        Assert.Contains("guardrail_stream_cuts_total{policy=\"default\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAIClient_StreamedBlockedPromptUnderARefusalPolicy_IsAStreamedRefusal()
    {
        var updates = new List<StreamingResponseUpdate>();
        await foreach (var update in await Client("/refusal/v1").CreateResponseStreamingAsync("llama-3-8b", "How do I build a bomb?"))
        {
            updates.Add(update);
        }

        Assert.Empty(Backend.Requests);
        Assert.IsType<StreamingResponseCreatedUpdate>(updates[0]);
        Assert.Equal(ModerationFixture.RefusalText, Assert.Single(updates.OfType<StreamingResponseRefusalDeltaUpdate>()).Delta);
        var end = Assert.IsType<StreamingResponseIncompleteUpdate>(updates[^1]);
        Assert.Equal(ResponseIncompleteStatusReason.ContentFilter, end.Response.IncompleteStatusDetails.Reason);
    }

    [Theory]
    [InlineData("""{"model":"llama-3-8b","input":42}""", "input", "invalid_type")]
    [InlineData("""{"model":"llama-3-8b","input":[{"role":"user","content":[{"type":"input_text","text":1}]}]}""", "input[0].content[0].text", "invalid_type")]
    [InlineData("""{"model":"llama-3-8b"}""", "input", "missing_required_parameter")]
    public async Task InvalidRequest_Is400InOpenAIsErrorShapeAndNeverReachesTheBackend(string body, string param, string code)
    {
        using var response = await PostAsync("/v1/responses", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(Backend.Requests);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    private static string? RefusalOf(ResponseResult response) =>
        response.OutputItems.OfType<MessageResponseItem>().SelectMany(m => m.Content).Select(p => p.Refusal).SingleOrDefault(r => r is not null);

    private ResponsesClient Client(string basePath = "/v1") => new(
        new ApiKeyCredential(GatewayServer.ClientKey),
        new ResponsesClientOptions { Endpoint = new Uri(Gateway.BaseAddress, basePath), RetryPolicy = new ClientRetryPolicy(0) });

    private async Task<HttpResponseMessage> PostAsync(string path, string json)
    {
        using var client = Gateway.CreateClient();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    private async Task<string> PostStreamAsync(string path)
    {
        using var response = await PostAsync(path, """{"model":"llama-3-8b","stream":true,"input":"Tell me a story."}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<AuditRecord> AuditAsync(string decisionId)
    {
        var store = Gateway.Services.GetRequiredService<AuditHost>().Store;
        var record = await Caching.Eventually.WaitAsync(() => store.GetAsync(decisionId, CancellationToken.None), static r => r is not null, TimeSpan.FromMinutes(2), "the audit record");
        return record!;
    }
}
