using static Guardrail.OpenAI.JsonValueDescriptions;
using System.Text.Json;
using Guardrail.Conversations;

namespace Guardrail.OpenAI;

/// <summary>
/// The Responses API's request (<c>POST /v1/responses</c>): <c>input</c> as a string or a list of items (messages with
/// roles and content parts, function calls and their outputs), <c>instructions</c> kept aside like a system message.
/// As strict as the chat parser: every field moderation reads must have its documented type.
/// </summary>
public static partial class OpenAIRequestParser
{
    private static OpenAIRequest ParseResponsesRoot(JsonElement root, int maxItems)
    {
        var model = RequiredString(root, "model", "you must provide a model parameter.");
        var stream = OptionalBool(root, "stream");
        var previous = OptionalString(root, "previous_response_id", "previous_response_id");
        var builder = new ConversationBuilder();
        if (OptionalString(root, "instructions", "instructions") is { Length: > 0 } instructions)
        {
            builder.AddSystem(instructions);
        }

        if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
        {
            throw Invalid("Missing required parameter: 'input'.", "input", OpenAIRequestError.MissingField);
        }

        var unmoderated = new List<string>();
        if (input.ValueKind == JsonValueKind.String)
        {
            builder.AddUser(input.GetString()!);
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            ParseInputItems(input, builder, unmoderated, maxItems);
        }
        else
        {
            throw Invalid($"Invalid type for 'input': expected a string or an array of input items, but got {Describe(input)}.", "input", OpenAIRequestError.InvalidType);
        }

        var conversation = builder.Build();
        if (conversation.Turns.Count == 0)
        {
            throw Invalid("'input' holds only system or developer messages: there is nothing to answer.", "input", OpenAIRequestError.MissingField);
        }

        return new OpenAIRequest
        {
            Api = OpenAIApi.Responses,
            Model = model,
            Conversations = [conversation],
            Stream = stream,
            PreviousResponseId = previous,
            UnmoderatedPartKinds = unmoderated,
        };
    }

    private static void ParseInputItems(JsonElement input, ConversationBuilder builder, List<string> unmoderated, int maxItems)
    {
        var count = input.GetArrayLength();
        if (count == 0)
        {
            throw Invalid("'input' must contain at least one item.", "input", OpenAIRequestError.MissingField);
        }

        if (count > maxItems)
        {
            throw Invalid($"'input' holds {count} items; this gateway accepts at most {maxItems}.", "input", OpenAIRequestError.InvalidValue);
        }

        var index = 0;
        foreach (var item in input.EnumerateArray())
        {
            var path = Index("input", index++);
            ExpectKind(item, JsonValueKind.Object, path);

            // A message may leave out its type ("easy input message"); every other item names it.
            var type = OptionalString(item, "type", path + ".type") ?? (item.TryGetProperty("role", out _) ? "message" : null)
                ?? throw Invalid($"Missing required parameter: '{path}.type'.", path + ".type", OpenAIRequestError.MissingField);
            switch (type)
            {
                case "message":
                    ParseInputMessage(item, path, builder, unmoderated);
                    break;
                case "function_call":
                    var name = RequiredString(item, "name", $"Missing required parameter: '{path}.name'.", path + ".name");
                    var arguments = RequiredString(item, "arguments", $"Missing required parameter: '{path}.arguments'.", path + ".arguments", allowEmpty: true);
                    var callId = OptionalString(item, "call_id", path + ".call_id");
                    builder.AddAssistant(null, new ToolCallPart(name, arguments, callId));
                    break;
                case "function_call_output":
                    var outputCallId = OptionalString(item, "call_id", path + ".call_id");
                    builder.AddToolResult(RenderText(ParseOutput(item, path, unmoderated)), outputCallId);
                    break;
                default:
                    // Stored items (item_reference), reasoning, built-in tool calls: nothing a text classifier can read
                    // from the request itself; kept as a visible marker, like an image part.
                    builder.AddUser([new UnmoderatedPart(type)]);
                    AddKind(unmoderated, type);
                    break;
            }
        }
    }

    private static void ParseInputMessage(JsonElement item, string path, ConversationBuilder builder, List<string> unmoderated)
    {
        var role = RequiredString(item, "role", $"Missing required parameter: '{path}.role'.", path + ".role");
        var parts = ParseInputContent(item, path, unmoderated);
        switch (role)
        {
            case "system" or "developer":
                builder.AddSystem(string.Concat(parts.Select(static p => p.Render())));
                break;
            case "user":
                builder.AddUser(parts);
                break;
            case "assistant":
                builder.AddAssistant(RenderText(parts));
                break;
            default:
                throw Invalid(
                    $"Invalid value for '{path}.role': '{role}'. Supported values are: 'system', 'developer', 'user' and 'assistant'.",
                    path + ".role",
                    OpenAIRequestError.InvalidValue);
        }
    }

    /// <summary>A message's <c>content</c>: a string or a list of parts (text parts read, others kept as markers).</summary>
    private static List<TurnPart> ParseInputContent(JsonElement item, string path, List<string> unmoderated)
    {
        var contentPath = path + ".content";
        if (!item.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            throw Invalid($"Missing required parameter: '{contentPath}'.", contentPath, OpenAIRequestError.MissingField);
        }

        return ParseParts(content, contentPath, unmoderated, IsResponsesText);
    }

    /// <summary>A <c>function_call_output</c>'s <c>output</c>: a string or a list of parts.</summary>
    private static List<TurnPart> ParseOutput(JsonElement item, string path, List<string> unmoderated)
    {
        var outputPath = path + ".output";
        if (!item.TryGetProperty("output", out var output) || output.ValueKind == JsonValueKind.Null)
        {
            throw Invalid($"Missing required parameter: '{outputPath}'.", outputPath, OpenAIRequestError.MissingField);
        }

        return ParseParts(output, outputPath, unmoderated, IsResponsesText);
    }

    private static bool IsResponsesText(string type) => type is "input_text" or "output_text";

    private static void AddKind(List<string> unmoderated, string type)
    {
        if (!unmoderated.Contains(type, StringComparer.Ordinal))
        {
            unmoderated.Add(type);
        }
    }
}
