using System.Text.Json;
using static Guardrail.Streaming.StreamEventJson;

namespace Guardrail.Streaming;

/// <summary>
/// Reads the <c>data</c> of an OpenAI stream event. Anything it cannot read as a chunk (not JSON, wrong types, no
/// <c>choices</c>) is reported, never thrown: the moderator treats it as a fault the policy decides, because text it
/// cannot read is text it cannot check.
/// </summary>
internal static class ChatStreamChunkReader
{
    /// <summary>Reads <paramref name="data"/>; on failure returns null and says why in <paramref name="error"/>.</summary>
    public static ChatStreamChunk? Read(string data, out string? error)
    {
        ArgumentNullException.ThrowIfNull(data);
        return StreamEventJson.Read(data, ReadRoot, out error);
    }

    private static ChatStreamChunk ReadRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new StreamEventFormatException("the chunk is not a JSON object");
        }

        var isError = root.TryGetProperty("error", out var errorElement) && errorElement.ValueKind != JsonValueKind.Null;
        var choices = new List<ChoiceDelta>();
        if (root.TryGetProperty("choices", out var choicesElement))
        {
            if (choicesElement.ValueKind != JsonValueKind.Array)
            {
                throw new StreamEventFormatException("'choices' is not an array");
            }

            foreach (var choice in choicesElement.EnumerateArray())
            {
                choices.Add(ReadChoice(choice));
            }
        }
        else if (!isError)
        {
            throw new StreamEventFormatException("the chunk has no 'choices'");
        }

        long? created = null;
        if (root.TryGetProperty("created", out var createdElement) && createdElement.ValueKind == JsonValueKind.Number
            && createdElement.TryGetInt64(out var createdValue))
        {
            created = createdValue;
        }

        return new ChatStreamChunk
        {
            Id = OptionalString(root, "id"),
            Object = OptionalString(root, "object"),
            Created = created,
            Model = OptionalString(root, "model"),
            Choices = choices,
            HasUsage = root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object,
            IsError = isError,
        };
    }

    private static ChoiceDelta ReadChoice(JsonElement choice)
    {
        if (choice.ValueKind != JsonValueKind.Object)
        {
            throw new StreamEventFormatException("a choice is not an object");
        }

        var index = 0;
        if (choice.TryGetProperty("index", out var indexElement))
        {
            if (indexElement.ValueKind != JsonValueKind.Number || !indexElement.TryGetInt32(out index) || index < 0)
            {
                throw new StreamEventFormatException("a choice 'index' is not a non-negative integer");
            }
        }

        string? role = null, content = null, refusal = null;
        var toolCalls = new List<ToolCallDelta>();
        if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind != JsonValueKind.Null)
        {
            if (delta.ValueKind != JsonValueKind.Object)
            {
                throw new StreamEventFormatException("a choice 'delta' is not an object");
            }

            role = OptionalString(delta, "role");
            content = OptionalString(delta, "content");
            refusal = OptionalString(delta, "refusal");
            ReadToolCalls(delta, toolCalls);
        }

        return new ChoiceDelta
        {
            Index = index,
            Role = role,
            Content = content,
            Refusal = refusal,
            Text = OptionalString(choice, "text"),
            ToolCalls = toolCalls,
            FinishReason = OptionalString(choice, "finish_reason"),
        };
    }

    private static void ReadToolCalls(JsonElement delta, List<ToolCallDelta> into)
    {
        if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind != JsonValueKind.Null)
        {
            if (calls.ValueKind != JsonValueKind.Array)
            {
                throw new StreamEventFormatException("'tool_calls' is not an array");
            }

            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind != JsonValueKind.Object)
                {
                    throw new StreamEventFormatException("a tool call is not an object");
                }

                var index = 0;
                if (call.TryGetProperty("index", out var indexElement)
                    && (indexElement.ValueKind != JsonValueKind.Number || !indexElement.TryGetInt32(out index) || index < 0))
                {
                    throw new StreamEventFormatException("a tool call 'index' is not a non-negative integer");
                }

                var (name, arguments) = ReadFunction(call);
                into.Add(new ToolCallDelta { Index = index, Id = OptionalString(call, "id"), Name = name, Arguments = arguments });
            }
        }

        // The deprecated single function call streams its pieces the same way.
        if (delta.TryGetProperty("function_call", out var functionCall) && functionCall.ValueKind != JsonValueKind.Null)
        {
            if (functionCall.ValueKind != JsonValueKind.Object)
            {
                throw new StreamEventFormatException("'function_call' is not an object");
            }

            into.Add(new ToolCallDelta
            {
                Index = -1,
                Name = OptionalString(functionCall, "name"),
                Arguments = OptionalString(functionCall, "arguments"),
            });
        }
    }

    private static (string? Name, string? Arguments) ReadFunction(JsonElement call)
    {
        if (!call.TryGetProperty("function", out var function) || function.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        if (function.ValueKind != JsonValueKind.Object)
        {
            throw new StreamEventFormatException("a tool call 'function' is not an object");
        }

        return (OptionalString(function, "name"), OptionalString(function, "arguments"));
    }
}
