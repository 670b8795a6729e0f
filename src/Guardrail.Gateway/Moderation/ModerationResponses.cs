using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guardrail.Gateway.Errors;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Policies;

namespace Guardrail.Gateway.Moderation;

/// <summary>What a client receives instead of the backend's answer, in OpenAI's shapes (ARCHITECTURE, "What clients see").</summary>
internal static class ModerationResponses
{
    public const string ContentFilter = "content_filter";
    public const int RetryAfterSeconds = 5;

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A blocked prompt: 400 with code <c>content_filter</c>, or a 200 refusal when the policy says so.</summary>
    public static Task WriteBlockedPromptAsync(HttpContext context, ModerationOutcome outcome, OpenAIRequest request)
    {
        if (outcome.Unavailable)
        {
            return WriteUnavailableAsync(context, outcome);
        }

        var policy = outcome.Policy;
        if (policy.BlockedPromptResponse == BlockedPromptResponse.Error)
        {
            var body = new JsonObject
            {
                ["error"] = new JsonObject
                {
                    ["message"] = policy.RefusalText,
                    ["type"] = OpenAIError.InvalidRequest,
                    ["param"] = null,
                    ["code"] = ContentFilter,
                },
                ["guardrail"] = GuardrailResponseObject.Create(outcome),
            };
            return WriteJsonAsync(context, StatusCodes.Status400BadRequest, body);
        }

        if (request.Api == OpenAIApi.Responses)
        {
            return request.Stream
                ? WriteStreamedResponsesRefusalAsync(context, outcome, request)
                : WriteJsonAsync(context, StatusCodes.Status200OK, RefusalResponse(outcome, request, refused: true));
        }

        return request.Stream
            ? WriteStreamedRefusalAsync(context, outcome, request)
            : WriteJsonAsync(context, StatusCodes.Status200OK, RefusalCompletion(outcome, request));
    }

    /// <summary>
    /// The backend's non-streamed Responses answer refused (<see cref="ResponsesRefusal"/>): its output replaced by the
    /// refusal, its usage kept (the backend spent those tokens), plus the <c>guardrail</c> object.
    /// </summary>
    public static byte[] RewriteBlockedResponse(ReadOnlySpan<byte> original, ModerationOutcome outcome, string refusalText)
    {
        var root = JsonNode.Parse(original)!.AsObject();
        ResponsesRefusal.Refuse(root, ResponsesRefusal.ItemId(outcome.DecisionId), refusalText);
        root["guardrail"] = GuardrailResponseObject.Create(outcome);
        return JsonSerializer.SerializeToUtf8Bytes(root, JsonOptions);
    }

    // The response object of a refused prompt, before (in progress) or after (refused) the refusal is added.
    private static JsonObject RefusalResponse(ModerationOutcome outcome, OpenAIRequest request, bool refused)
    {
        var response = new JsonObject
        {
            ["id"] = "resp_guardrail_" + outcome.DecisionId,
            ["object"] = "response",
            ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["status"] = "in_progress",
            ["error"] = null,
            ["incomplete_details"] = null,
            ["model"] = request.Model,
            ["output"] = new JsonArray(),
            ["previous_response_id"] = request.PreviousResponseId,
            ["usage"] = new JsonObject { ["input_tokens"] = 0, ["output_tokens"] = 0, ["total_tokens"] = 0 },
        };
        if (refused)
        {
            ResponsesRefusal.Refuse(response, ResponsesRefusal.ItemId(outcome.DecisionId), outcome.Policy.RefusalText);
            response["guardrail"] = GuardrailResponseObject.Create(outcome);
        }

        return response;
    }

    private static async Task WriteStreamedResponsesRefusalAsync(HttpContext context, ModerationOutcome outcome, OpenAIRequest request)
    {
        var response = RefusalResponse(outcome, request, refused: false);
        var created = new JsonObject { ["type"] = "response.created", ["sequence_number"] = 0, ["response"] = response.DeepClone() };
        var events = new ArrayBufferWriter<byte>();
        events.Write(Encoding.UTF8.GetBytes("event: response.created\ndata: " + created.ToJsonString(JsonOptions) + "\n\n"));
        ResponsesRefusal.WriteEvents(events, response, 0, ResponsesRefusal.ItemId(outcome.DecisionId), outcome.Policy.RefusalText, GuardrailResponseObject.Create(outcome), sequence: 0);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.WriteAsync(events.WrittenMemory, context.RequestAborted);
    }

    /// <summary>
    /// The gateway cannot vouch for the content and the policy fails closed: 503 with <c>Retry-After</c>, code
    /// <c>classifier_unavailable</c> (the classifier could not judge) or <c>audit_unavailable</c> (the decision could not
    /// be recorded).
    /// </summary>
    public static Task WriteUnavailableAsync(HttpContext context, ModerationOutcome outcome)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var (message, code) = outcome.RefusedUnrecorded
            ? ("The moderation decision could not be recorded in the audit log, and this route's policy does not serve unrecorded content. Try again later.", "audit_unavailable")
            : ("The content could not be checked by the moderation classifier, and this route's policy does not let unchecked content through. Try again later.", "classifier_unavailable");
        var body = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = message,
                ["type"] = OpenAIError.ServerError,
                ["param"] = null,
                ["code"] = code,
            },
            ["guardrail"] = GuardrailResponseObject.Create(outcome),
        };
        return WriteJsonAsync(context, StatusCodes.Status503ServiceUnavailable, body);
    }

    /// <summary>
    /// The backend's non-streamed answer with every blocked choice replaced by the refusal and
    /// <c>finish_reason: "content_filter"</c>, plus the <c>guardrail</c> object of the first block.
    /// </summary>
    public static byte[] RewriteBlockedChoices(ReadOnlySpan<byte> original, IReadOnlyDictionary<int, ModerationOutcome> blocked, string refusalText)
    {
        var root = JsonNode.Parse(original)!.AsObject();
        foreach (var choice in root["choices"]!.AsArray().OfType<JsonObject>())
        {
            var index = choice["index"]?.GetValue<int>() ?? -1;
            if (!blocked.ContainsKey(index))
            {
                continue;
            }

            if (choice.ContainsKey("message"))
            {
                choice["message"] = new JsonObject { ["role"] = "assistant", ["content"] = refusalText };
            }
            else
            {
                choice["text"] = refusalText;
            }

            choice["finish_reason"] = ContentFilter;
            choice.Remove("logprobs");
        }

        root["guardrail"] = GuardrailResponseObject.Create(blocked.OrderBy(b => b.Key).First().Value);
        return JsonSerializer.SerializeToUtf8Bytes(root, JsonOptions);
    }

    private static JsonObject RefusalCompletion(ModerationOutcome outcome, OpenAIRequest request)
    {
        var choices = new JsonArray();
        var count = request.ChoiceCount * request.Conversations.Count;
        for (var i = 0; i < count; i++)
        {
            choices.Add(request.Api == OpenAIApi.ChatCompletions
                ? new JsonObject
                {
                    ["index"] = i,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = outcome.Policy.RefusalText },
                    ["finish_reason"] = ContentFilter,
                }
                : new JsonObject { ["index"] = i, ["text"] = outcome.Policy.RefusalText, ["finish_reason"] = ContentFilter });
        }

        return new JsonObject
        {
            ["id"] = CompletionId(outcome, request),
            ["object"] = request.Api == OpenAIApi.ChatCompletions ? "chat.completion" : "text_completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = request.Model,
            ["choices"] = choices,
            ["usage"] = new JsonObject { ["prompt_tokens"] = 0, ["completion_tokens"] = 0, ["total_tokens"] = 0 },
            ["guardrail"] = GuardrailResponseObject.Create(outcome),
        };
    }

    private static async Task WriteStreamedRefusalAsync(HttpContext context, ModerationOutcome outcome, OpenAIRequest request)
    {
        var chat = request.Api == OpenAIApi.ChatCompletions;
        var id = CompletionId(outcome, request);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var text = new StringBuilder();
        var count = request.ChoiceCount * request.Conversations.Count;
        for (var i = 0; i < count; i++)
        {
            JsonObject contentChoice = chat
                ? new JsonObject { ["index"] = i, ["delta"] = new JsonObject { ["role"] = "assistant", ["content"] = outcome.Policy.RefusalText }, ["finish_reason"] = null }
                : new JsonObject { ["index"] = i, ["text"] = outcome.Policy.RefusalText, ["finish_reason"] = null };
            AppendEvent(text, Chunk(id, created, request, chat, contentChoice, null));
        }

        for (var i = 0; i < count; i++)
        {
            JsonObject finalChoice = chat
                ? new JsonObject { ["index"] = i, ["delta"] = new JsonObject(), ["finish_reason"] = ContentFilter }
                : new JsonObject { ["index"] = i, ["text"] = string.Empty, ["finish_reason"] = ContentFilter };
            AppendEvent(text, Chunk(id, created, request, chat, finalChoice, i == count - 1 ? GuardrailResponseObject.Create(outcome) : null));
        }

        text.Append("data: [DONE]\n\n");
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }

    private static JsonObject Chunk(string id, long created, OpenAIRequest request, bool chat, JsonObject choice, JsonObject? guardrail)
    {
        var chunk = new JsonObject
        {
            ["id"] = id,
            ["object"] = chat ? "chat.completion.chunk" : "text_completion",
            ["created"] = created,
            ["model"] = request.Model,
            ["choices"] = new JsonArray(choice),
        };
        if (guardrail is not null)
        {
            chunk["guardrail"] = guardrail;
        }

        return chunk;
    }

    private static void AppendEvent(StringBuilder text, JsonObject chunk) =>
        text.Append("data: ").Append(chunk.ToJsonString(JsonOptions)).Append("\n\n");

    private static string CompletionId(ModerationOutcome outcome, OpenAIRequest request) =>
        (request.Api == OpenAIApi.ChatCompletions ? "chatcmpl-" : "cmpl-") + "guardrail-" + outcome.DecisionId;

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, JsonOptions);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }
}
