using static Guardrail.OpenAI.JsonValueDescriptions;
using System.Text.Json;
using System.Text.Unicode;
using Guardrail.Conversations;

namespace Guardrail.OpenAI;

/// <summary>
/// Step 3 of the request path: an OpenAI request body becomes the conversations to moderate. The parser is strict
/// where leniency would let the gateway and the backend read different things: invalid UTF-8 and duplicate
/// property names are errors (a backend that keeps the last duplicate would otherwise see text the gateway never
/// checked), and so is every field of the wrong type that moderation reads.
/// </summary>
public static partial class OpenAIRequestParser
{
    /// <summary>The deepest JSON nesting accepted; real requests need a fraction of it.</summary>
    public const int MaxDepth = 64;

    /// <summary>The most choices (<c>n</c>) accepted, OpenAI's own limit.</summary>
    public const int MaxChoices = 128;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>The most messages (or legacy prompts) accepted by default.</summary>
    public const int DefaultMaxMessages = 2048;

    /// <summary>Parses a request body for <paramref name="api"/>.</summary>
    /// <param name="body">The raw request body.</param>
    /// <param name="api">Which API the route serves.</param>
    /// <param name="maxMessages">The most messages (chat) or prompts (legacy completions) a request may hold.</param>
    public static OpenAIParseResult Parse(ReadOnlyMemory<byte> body, OpenAIApi api, int maxMessages = DefaultMaxMessages)
    {
        var (request, error) = ParseDocument(body, root => ParseRoot(root, api, maxMessages));
        return new OpenAIParseResult { Request = request, Error = error };
    }

    /// <summary>
    /// A <c>POST /v1/moderations</c> body: <c>input</c> as a string or an array of strings or text parts (an image
    /// part is an error, since a text classifier cannot judge it), and the optional <c>model</c>.
    /// </summary>
    public static (string Model, IReadOnlyList<string>? Inputs, OpenAIRequestError? Error) ParseModerationInput(ReadOnlyMemory<byte> body, string defaultModel, int maxInputs)
    {
        var (parsed, error) = ParseDocument(body, root => ParseModerationRoot(root, defaultModel, maxInputs));
        return (parsed.Model ?? defaultModel, parsed.Inputs, error);
    }

    /// <summary>UTF-8 check, strict JSON, then <paramref name="read"/>; the first problem becomes the error.</summary>
    private static (T? Value, OpenAIRequestError? Error) ParseDocument<T>(ReadOnlyMemory<byte> body, Func<JsonElement, T> read)
    {
        if (!Utf8.IsValid(body.Span))
        {
            return (default, new OpenAIRequestError("The request body is not valid UTF-8.", null, OpenAIRequestError.InvalidJson));
        }

        try
        {
            using var document = JsonDocument.Parse(body, DocumentOptions);
            return (read(document.RootElement), null);
        }
        catch (JsonException e)
        {
            // The reader's message names the position and the problem; it carries nothing of the server.
            return (default, new OpenAIRequestError($"The request body is not valid JSON: {e.Message}", null, OpenAIRequestError.InvalidJson));
        }
        catch (RequestFormatException e)
        {
            return (default, e.Error);
        }
        catch (InvalidOperationException)
        {
            // JsonElement.GetString refuses a string escape that is not text (a lone surrogate such as \ud800): valid
            // JSON syntax, but no string the gateway could check or forward faithfully.
            return (default, new OpenAIRequestError("The request body holds a string escape that is not text (a lone UTF-16 surrogate such as \\ud800).", null, OpenAIRequestError.InvalidJson));
        }
    }

    private static (string? Model, IReadOnlyList<string>? Inputs) ParseModerationRoot(JsonElement root, string defaultModel, int maxInputs)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("The request body must be a JSON object.", null, OpenAIRequestError.InvalidType);
        }

        var model = OptionalString(root, "model", "model") ?? defaultModel;
        if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
        {
            throw Invalid("Missing required parameter: 'input'.", "input", OpenAIRequestError.MissingField);
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            return (model, [input.GetString()!]);
        }

        if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() == 0 || input.GetArrayLength() > maxInputs)
        {
            throw Invalid($"'input' must be a string or an array of 1 to {maxInputs} strings or text parts.", "input", OpenAIRequestError.InvalidValue);
        }

        var inputs = new List<string>();
        var index = 0;
        foreach (var item in input.EnumerateArray())
        {
            var path = Index("input", index++);
            if (item.ValueKind == JsonValueKind.String)
            {
                inputs.Add(item.GetString()!);
                continue;
            }

            ExpectKind(item, JsonValueKind.Object, path);
            var type = RequiredString(item, "type", $"Missing required parameter: '{path}.type'.", path + ".type");
            if (!string.Equals(type, "text", StringComparison.Ordinal))
            {
                throw Invalid($"'{path}' is a {type} part: this gateway's classifier moderates text only.", path, OpenAIRequestError.InvalidValue);
            }

            inputs.Add(RequiredString(item, "text", $"Missing required parameter: '{path}.text'.", path + ".text", allowEmpty: true));
        }

        return (model, inputs);
    }

    private static OpenAIRequest ParseRoot(JsonElement root, OpenAIApi api, int maxMessages)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("The request body must be a JSON object.", null, OpenAIRequestError.InvalidType);
        }

        if (api == OpenAIApi.Responses)
        {
            return ParseResponsesRoot(root, maxMessages);
        }

        var model = RequiredString(root, "model", "you must provide a model parameter.");
        var stream = OptionalBool(root, "stream");
        var includeUsage = false;
        if (root.TryGetProperty("stream_options", out var streamOptions) && streamOptions.ValueKind != JsonValueKind.Null)
        {
            ExpectKind(streamOptions, JsonValueKind.Object, "stream_options");
            includeUsage = OptionalBool(streamOptions, "include_usage", "stream_options.include_usage");
        }

        var choices = 1;
        if (root.TryGetProperty("n", out var n) && n.ValueKind != JsonValueKind.Null)
        {
            if (n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out choices) || choices < 1 || choices > MaxChoices)
            {
                throw Invalid($"'n' must be an integer from 1 to {MaxChoices}.", "n", OpenAIRequestError.InvalidValue);
            }
        }

        var unmoderated = new List<string>();
        var conversations = api == OpenAIApi.ChatCompletions
            ? [ParseMessages(root, unmoderated, maxMessages)]
            : ParsePrompts(root, maxMessages);
        return new OpenAIRequest
        {
            Api = api,
            Model = model,
            Conversations = conversations,
            Stream = stream,
            ChoiceCount = choices,
            IncludeUsage = includeUsage,
            UnmoderatedPartKinds = unmoderated,
        };
    }

    private static Conversation ParseMessages(JsonElement root, List<string> unmoderated, int maxMessages)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind == JsonValueKind.Null)
        {
            throw Invalid("Missing required parameter: 'messages'.", "messages", OpenAIRequestError.MissingField);
        }

        ExpectKind(messages, JsonValueKind.Array, "messages");
        if (messages.GetArrayLength() == 0)
        {
            throw Invalid("'messages' must contain at least one message.", "messages", OpenAIRequestError.MissingField);
        }

        if (messages.GetArrayLength() > maxMessages)
        {
            throw Invalid($"'messages' holds {messages.GetArrayLength()} messages; this gateway accepts at most {maxMessages}.", "messages", OpenAIRequestError.InvalidValue);
        }

        var builder = new ConversationBuilder();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = Index("messages", index++);
            ExpectKind(message, JsonValueKind.Object, path);
            var role = RequiredString(message, "role", $"Missing required parameter: '{path}.role'.", path + ".role");
            switch (role)
            {
                case "system" or "developer":
                    builder.AddSystem(string.Concat(ParseContent(message, path, unmoderated, required: true).Select(static p => p.Render())));
                    break;
                case "user":
                    builder.AddUser(ParseContent(message, path, unmoderated, required: true));
                    break;
                case "assistant":
                    ParseAssistant(builder, message, path, unmoderated);
                    break;
                case "tool":
                    var callId = OptionalString(message, "tool_call_id", path + ".tool_call_id");
                    builder.AddToolResult(RenderText(ParseContent(message, path, unmoderated, required: true)), callId);
                    break;
                case "function":
                    var name = OptionalString(message, "name", path + ".name");
                    builder.AddToolResult(RenderText(ParseContent(message, path, unmoderated, required: false)), null, name);
                    break;
                default:
                    throw Invalid(
                        $"Invalid value for '{path}.role': '{role}'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool' and 'function'.",
                        path + ".role",
                        OpenAIRequestError.InvalidValue);
            }
        }

        var conversation = builder.Build();
        if (conversation.Turns.Count == 0)
        {
            throw Invalid("'messages' holds only system messages: there is no user, assistant or tool message to answer.", "messages", OpenAIRequestError.MissingField);
        }

        return conversation;
    }

    private static void ParseAssistant(ConversationBuilder builder, JsonElement message, string path, List<string> unmoderated)
    {
        var parts = ParseContent(message, path, unmoderated, required: false);
        var text = parts.Count == 0 ? null : RenderText(parts);
        if (message.TryGetProperty("refusal", out var refusal) && refusal.ValueKind != JsonValueKind.Null)
        {
            ExpectKind(refusal, JsonValueKind.String, path + ".refusal");
            text = string.IsNullOrEmpty(text) ? refusal.GetString() : text + "\n" + refusal.GetString();
        }

        var calls = new List<ToolCallPart>();
        if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind != JsonValueKind.Null)
        {
            ExpectKind(toolCalls, JsonValueKind.Array, path + ".tool_calls");
            var index = 0;
            foreach (var call in toolCalls.EnumerateArray())
            {
                calls.Add(ParseFunctionCall(call, Index(path + ".tool_calls", index++), nested: true));
            }
        }

        if (message.TryGetProperty("function_call", out var functionCall) && functionCall.ValueKind != JsonValueKind.Null)
        {
            calls.Add(ParseFunctionCall(functionCall, path + ".function_call", nested: false));
        }

        builder.AddAssistant(text, calls);
    }

    private static ToolCallPart ParseFunctionCall(JsonElement call, string path, bool nested)
    {
        ExpectKind(call, JsonValueKind.Object, path);
        var function = call;
        var functionPath = path;
        if (nested)
        {
            functionPath = path + ".function";
            if (!call.TryGetProperty("function", out function))
            {
                throw Invalid($"Missing required parameter: '{functionPath}'.", functionPath, OpenAIRequestError.MissingField);
            }

            ExpectKind(function, JsonValueKind.Object, functionPath);
        }

        var name = RequiredString(function, "name", $"Missing required parameter: '{functionPath}.name'.", functionPath + ".name");
        var arguments = OptionalString(function, "arguments", functionPath + ".arguments") ?? string.Empty;
        var id = nested ? OptionalString(call, "id", path + ".id") : null;
        return new ToolCallPart(name, arguments, id);
    }

    private static List<TurnPart> ParseContent(JsonElement message, string path, List<string> unmoderated, bool required)
    {
        var contentPath = path + ".content";
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return required
                ? throw Invalid($"Missing required parameter: '{contentPath}'.", contentPath, OpenAIRequestError.MissingField)
                : [];
        }

        return ParseParts(content, contentPath, unmoderated, IsChatText);
    }

    private static bool IsChatText(string type) => type is "text";

    /// <summary>
    /// Content as either API writes it: a string, or a list of parts whose text types <paramref name="isText"/> names
    /// (the chat API's <c>text</c>, the Responses API's <c>input_text</c> and <c>output_text</c>), refusals, and parts
    /// a text classifier cannot read.
    /// </summary>
    private static List<TurnPart> ParseParts(JsonElement content, string contentPath, List<string> unmoderated, Func<string, bool> isText)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(content.GetString()!)];
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw Invalid($"Invalid type for '{contentPath}': expected a string or an array of content parts, but got {Describe(content)}.", contentPath, OpenAIRequestError.InvalidType);
        }

        var parts = new List<TurnPart>();
        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = Index(contentPath, index++);
            ExpectKind(part, JsonValueKind.Object, partPath);
            var type = RequiredString(part, "type", $"Missing required parameter: '{partPath}.type'.", partPath + ".type");
            switch (type)
            {
                case "refusal":
                    parts.Add(new TextPart(RequiredString(part, "refusal", $"Missing required parameter: '{partPath}.refusal'.", partPath + ".refusal", allowEmpty: true)));
                    break;
                case var text when isText(text):
                    parts.Add(new TextPart(RequiredString(part, "text", $"Missing required parameter: '{partPath}.text'.", partPath + ".text", allowEmpty: true)));
                    break;
                default:
                    // Images, audio and files cannot be read by a text classifier: kept as a visible marker.
                    parts.Add(new UnmoderatedPart(type));
                    AddKind(unmoderated, type);
                    break;
            }
        }

        return parts;
    }

    private static List<Conversation> ParsePrompts(JsonElement root, int maxPrompts)
    {
        if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind == JsonValueKind.Null)
        {
            throw Invalid("Missing required parameter: 'prompt'.", "prompt", OpenAIRequestError.MissingField);
        }

        if (prompt.ValueKind == JsonValueKind.String)
        {
            return [new ConversationBuilder().AddUser(prompt.GetString()!).Build()];
        }

        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() > maxPrompts)
        {
            throw Invalid($"'prompt' holds {prompt.GetArrayLength()} prompts; this gateway accepts at most {maxPrompts}.", "prompt", OpenAIRequestError.InvalidValue);
        }

        if (prompt.ValueKind != JsonValueKind.Array || prompt.GetArrayLength() == 0)
        {
            throw Invalid($"Invalid type for 'prompt': expected a string or a non-empty array of strings, but got {Describe(prompt)}.", "prompt", OpenAIRequestError.InvalidType);
        }

        var conversations = new List<Conversation>();
        var index = 0;
        foreach (var item in prompt.EnumerateArray())
        {
            var path = Index("prompt", index++);
            if (item.ValueKind is JsonValueKind.Number or JsonValueKind.Array)
            {
                throw Invalid("Prompts given as token ids cannot be moderated: send the prompt as text.", path, OpenAIRequestError.InvalidValue);
            }

            ExpectKind(item, JsonValueKind.String, path);
            conversations.Add(new ConversationBuilder().AddUser(item.GetString()!).Build());
        }

        return conversations;
    }

    private static string RenderText(List<TurnPart> parts) => string.Join('\n', parts.Select(static p => p.Render()));

    private static string RequiredString(JsonElement parent, string name, string missingMessage, string? path = null, bool allowEmpty = false)
    {
        path ??= name;
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw Invalid(missingMessage, path, OpenAIRequestError.MissingField);
        }

        ExpectKind(value, JsonValueKind.String, path);
        var text = value.GetString()!;
        if (!allowEmpty && text.Length == 0)
        {
            throw Invalid(missingMessage, path, OpenAIRequestError.MissingField);
        }

        return text;
    }

    private static string? OptionalString(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        ExpectKind(value, JsonValueKind.String, path);
        return value.GetString();
    }

    private static bool OptionalBool(JsonElement parent, string name, string? path = null)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid($"Invalid type for '{path ?? name}': expected a boolean, but got {Describe(value)}.", path ?? name, OpenAIRequestError.InvalidType),
        };
    }

    private static void ExpectKind(JsonElement value, JsonValueKind kind, string path)
    {
        if (value.ValueKind != kind)
        {
            throw Invalid($"Invalid type for '{path}': expected {Describe(kind)}, but got {Describe(value)}.", path, OpenAIRequestError.InvalidType);
        }
    }

    private static RequestFormatException Invalid(string message, string? param, string code) => new(new OpenAIRequestError(message, param, code));

    /// <summary>Unwinds the recursive descent at the first error; never escapes <see cref="Parse"/>.</summary>
    private sealed class RequestFormatException(OpenAIRequestError error) : Exception(error.Message)
    {
        public OpenAIRequestError Error { get; } = error;
    }
}
