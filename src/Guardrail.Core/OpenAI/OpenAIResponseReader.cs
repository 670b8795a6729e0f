using System.Runtime.InteropServices;
using System.Text.Json;
using Guardrail.Conversations;

namespace Guardrail.OpenAI;

/// <summary>One choice of a backend's answer, as the response check reads it.</summary>
/// <param name="Index">The choice's <c>index</c>.</param>
/// <param name="Text">The assistant text (content, refusal, or legacy <c>text</c>); null when it only calls tools.</param>
/// <param name="ToolCalls">Tool calls the model produced; their arguments are moderated like text.</param>
public sealed record ResponseChoice(int Index, string? Text, IReadOnlyList<ToolCallPart> ToolCalls);

/// <summary>A response's <c>usage</c>, as far as the backend reported it.</summary>
/// <param name="PromptTokens"><c>usage.prompt_tokens</c> (a Responses body: <c>usage.input_tokens</c>), or null.</param>
/// <param name="CompletionTokens"><c>usage.completion_tokens</c> (a Responses body: <c>usage.output_tokens</c>), or null.</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct ResponseUsage(long? PromptTokens, long? CompletionTokens);

/// <summary>Reads the choices of a non-streamed <c>chat.completion</c>, <c>text_completion</c> or Responses <c>response</c> body.</summary>
public static class OpenAIResponseReader
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    /// <summary>
    /// The backend's own token counts, <c>usage.prompt_tokens</c> and <c>usage.completion_tokens</c> (a Responses
    /// body: <c>input_tokens</c> and <c>output_tokens</c>), each null when the body does not carry it (then the
    /// gateway counts the choices' text itself where it needs a count).
    /// </summary>
    public static ResponseUsage ReadUsage(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, Options);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
                ? new ResponseUsage(Count(usage, "prompt_tokens", "input_tokens"), Count(usage, "completion_tokens", "output_tokens"))
                : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static long? Count(JsonElement usage, string name, string responsesName)
    {
        foreach (var candidate in (ReadOnlySpan<string>)[name, responsesName])
        {
            if (usage.TryGetProperty(candidate, out var tokens) && tokens.ValueKind == JsonValueKind.Number && tokens.TryGetInt64(out var count) && count >= 0)
            {
                return count;
            }
        }

        return null;
    }

    /// <summary>
    /// The choices, or null when the body is not an answer of <paramref name="api"/> this gateway can read (then it
    /// cannot be checked). A Responses body is one choice: the text of its output items and its function calls.
    /// </summary>
    public static IReadOnlyList<ResponseChoice>? ReadChoices(ReadOnlyMemory<byte> body, OpenAIApi api)
    {
        try
        {
            using var document = JsonDocument.Parse(body, Options);
            if (api == OpenAIApi.Responses)
            {
                return ReadResponseOutput(document.RootElement) is { } output ? [output] : null;
            }

            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("choices", out var choices)
                || choices.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var result = new List<ResponseChoice>();
            var position = 0;
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                var index = choice.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var n) ? n : position;
                position++;
                if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                {
                    result.Add(new ResponseChoice(index, JoinText(String(message, "content"), String(message, "refusal")), ToolCalls(message)));
                }
                else if (choice.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    result.Add(new ResponseChoice(index, text.GetString(), []));
                }
                else
                {
                    return null;
                }
            }

            return result;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not text (invalid UTF-8, a lone surrogate escape), which
            // JsonElement.GetString refuses only when read; the body is then as unreadable as malformed JSON.
            return null;
        }
    }

    /// <summary>
    /// A Responses API <c>response</c> object's <c>output</c> as one choice: every text it shows (output text, refusals,
    /// reasoning text and summaries) and every function call. Null when it is not a response object or an item is not
    /// readable.
    /// </summary>
    public static ResponseChoice? ReadResponseOutput(JsonElement response)
    {
        if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var texts = new List<string>();
        var calls = new List<ToolCallPart>();
        foreach (var item in output.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (String(item, "type") is "function_call")
            {
                calls.Add(new ToolCallPart(String(item, "name") ?? "function", String(item, "arguments") ?? string.Empty, String(item, "call_id")));
                continue;
            }

            foreach (var list in (ReadOnlySpan<string>)["content", "summary"])
            {
                if (!item.TryGetProperty(list, out var parts) || parts.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (parts.ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                foreach (var part in parts.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object)
                    {
                        return null;
                    }

                    if ((String(part, "text") ?? String(part, "refusal")) is { } text)
                    {
                        texts.Add(text);
                    }
                }
            }
        }

        return new ResponseChoice(0, texts.Count == 0 ? null : string.Join('\n', texts), calls);
    }

    private static List<ToolCallPart> ToolCalls(JsonElement message)
    {
        var calls = new List<ToolCallPart>();
        if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in toolCalls.EnumerateArray())
            {
                if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    calls.Add(new ToolCallPart(String(function, "name") ?? "function", String(function, "arguments") ?? string.Empty, String(call, "id")));
                }
            }
        }

        if (message.TryGetProperty("function_call", out var legacy) && legacy.ValueKind == JsonValueKind.Object)
        {
            calls.Add(new ToolCallPart(String(legacy, "name") ?? "function", String(legacy, "arguments") ?? string.Empty));
        }

        return calls;
    }

    private static string? String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? JoinText(string? content, string? refusal) =>
        (content, refusal) switch
        {
            (null, null) => null,
            ({ } c, null) => c,
            (null, { } r) => r,
            ({ } c, { } r) => c + "\n" + r,
        };
}
