using static Guardrail.OpenAI.JsonValueDescriptions;
using Guardrail.OpenAI;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Guardrail.LlamaCpp.Generation;

namespace Guardrail.Serving;

/// <summary>A parsed <c>/v1/chat/completions</c> or <c>/v1/completions</c> body, in the engine's terms.</summary>
internal sealed record ServingRequest
{
    public required OpenAIApi Api { get; init; }

    public string? Model { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    /// <summary>Chat turns (chat completions).</summary>
    public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary>The prompt as text (completions), tokenized with no special tokens parsed.</summary>
    public string? PromptText { get; init; }

    /// <summary>The prompt as token ids (completions), used as given: how a remote classifier sends its exact prompt.</summary>
    public IReadOnlyList<int>? PromptTokens { get; init; }

    public int? MaxTokens { get; init; }

    public SamplingOptions Sampling { get; init; } = new();

    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool Logprobs { get; init; }

    public int TopLogprobs { get; init; }
}

/// <summary>
/// Reads a generation request strictly, as the gateway reads what it moderates: invalid UTF-8, malformed JSON,
/// duplicate property names and fields of the wrong type are errors that name the parameter; parameters this server
/// cannot honour (<c>n</c> above 1, <c>echo</c>, <c>suffix</c>, <c>best_of</c>, tool definitions) are refused rather than
/// ignored. The sampling ranges are checked by <see cref="SamplingOptions.Validate"/>.
/// </summary>
internal static class ServingRequestReader
{
    public const int MaxStopStrings = 4;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = OpenAIRequestParser.MaxDepth, AllowDuplicateProperties = false };

    public static (ServingRequest? Request, OpenAIRequestError? Error) Read(ReadOnlyMemory<byte> body, OpenAIApi api)
    {
        if (!Utf8.IsValid(body.Span))
        {
            return (null, new OpenAIRequestError("The request body is not valid UTF-8.", null, OpenAIRequestError.InvalidJson));
        }

        try
        {
            using var document = JsonDocument.Parse(body, DocumentOptions);
            var request = ReadRoot(document.RootElement, api);
            var problems = request.Sampling.Validate();
            return problems.Count > 0
                ? (null, new OpenAIRequestError(problems[0].Message, problems[0].Parameter, OpenAIRequestError.InvalidValue))
                : (request, null);
        }
        catch (JsonException e)
        {
            return (null, new OpenAIRequestError($"The request body is not valid JSON: {e.Message}", null, OpenAIRequestError.InvalidJson));
        }
        catch (InvalidRequestException e)
        {
            return (null, e.Error);
        }
    }

    private static ServingRequest ReadRoot(JsonElement root, OpenAIApi api)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("The request body must be a JSON object.", null, OpenAIRequestError.InvalidType);
        }

        var includeUsage = false;
        if (Optional(root, "stream_options") is { } options)
        {
            Expect(options, JsonValueKind.Object, "stream_options");
            includeUsage = Bool(options, "include_usage", "stream_options.include_usage") ?? false;
        }

        Refuse(Int(root, "n") is > 1, "n", "'n' above 1 is not supported by this server: send one request per choice.");
        Refuse(Int(root, "best_of") is > 1, "best_of", "'best_of' above 1 is not supported by this server.");
        Refuse(Bool(root, "echo") is true, "echo", "'echo' is not supported by this server.");
        Refuse(String(root, "suffix") is { Length: > 0 }, "suffix", "'suffix' (insertion) is not supported by this server.");
        Refuse(Optional(root, "tools") is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0, "tools", "Tool definitions are not supported by this server.");

        var maxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        Refuse(maxTokens is < 1, Optional(root, "max_completion_tokens") is null ? "max_tokens" : "max_completion_tokens", "The token limit must be at least 1.", OpenAIRequestError.InvalidValue);

        var (logprobs, topLogprobs) = api == OpenAIApi.ChatCompletions
            ? (Bool(root, "logprobs") ?? false, Int(root, "top_logprobs") ?? 0)
            : (Optional(root, "logprobs") is not null, Int(root, "logprobs") ?? 0);
        Refuse(topLogprobs is < 0 or > GenerationEngine.MaxTopLogprobs, api == OpenAIApi.ChatCompletions ? "top_logprobs" : "logprobs", $"The number of top log probabilities must be 0 to {GenerationEngine.MaxTopLogprobs}.", OpenAIRequestError.InvalidValue);

        var request = new ServingRequest
        {
            Api = api,
            Model = String(root, "model"),
            Stream = Bool(root, "stream") ?? false,
            IncludeUsage = includeUsage,
            MaxTokens = maxTokens,
            Stop = Stop(root),
            Logprobs = logprobs,
            TopLogprobs = topLogprobs,
            Sampling = new SamplingOptions
            {
                Temperature = Float(root, "temperature") ?? 1f,
                TopP = Float(root, "top_p") ?? 1f,
                TopK = Int(root, "top_k") ?? 0,
                MinP = Float(root, "min_p") ?? 0f,
                Seed = Seed(root),
                RepetitionPenalty = Float(root, "repetition_penalty") ?? 1f,
                FrequencyPenalty = Float(root, "frequency_penalty") ?? 0f,
                PresencePenalty = Float(root, "presence_penalty") ?? 0f,
            },
        };

        return api == OpenAIApi.ChatCompletions
            ? request with { Messages = Messages(root) }
            : Prompt(root, request);
    }

    private static List<ChatMessage> Messages(JsonElement root)
    {
        var messages = Optional(root, "messages") ?? throw Invalid("Missing required parameter: 'messages'.", "messages", OpenAIRequestError.MissingField);
        Expect(messages, JsonValueKind.Array, "messages");
        if (messages.GetArrayLength() == 0)
        {
            throw Invalid("'messages' must contain at least one message.", "messages", OpenAIRequestError.MissingField);
        }

        var result = new List<ChatMessage>();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = Index("messages", index++);
            Expect(message, JsonValueKind.Object, path);
            var role = String(message, "role", path + ".role") ?? throw Invalid($"Missing required parameter: '{path}.role'.", path + ".role", OpenAIRequestError.MissingField);
            var chatRole = role switch
            {
                "system" or "developer" => ChatRole.System,
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                "tool" => ChatRole.Tool,
                _ => throw Invalid($"'{path}.role' must be system, developer, user, assistant or tool, was '{role}'.", path + ".role", OpenAIRequestError.InvalidValue),
            };
            var content = Content(message, path, required: chatRole != ChatRole.Assistant);
            if (chatRole == ChatRole.Assistant && Optional(message, "tool_calls") is { } calls)
            {
                content += ToolCalls(calls, path + ".tool_calls");
            }

            result.Add(new ChatMessage(chatRole, content));
        }

        return result;
    }

    /// <summary>A message's text: a string, or an array of text parts joined; other part kinds are refused (a text model).</summary>
    private static string Content(JsonElement message, string path, bool required)
    {
        var content = Optional(message, "content");
        if (content is null)
        {
            return required ? throw Invalid($"Missing required parameter: '{path}.content'.", path + ".content", OpenAIRequestError.MissingField) : string.Empty;
        }

        if (content.Value.ValueKind == JsonValueKind.String)
        {
            return content.Value.GetString()!;
        }

        Expect(content.Value, JsonValueKind.Array, path + ".content");
        var text = new StringBuilder();
        var index = 0;
        foreach (var part in content.Value.EnumerateArray())
        {
            var partPath = Index(path + ".content", index++);
            Expect(part, JsonValueKind.Object, partPath);
            var type = String(part, "type", partPath + ".type");
            if (type is not "text")
            {
                throw Invalid($"'{partPath}' is a {type ?? "untyped"} part: this server's model reads text only.", partPath, OpenAIRequestError.InvalidValue);
            }

            text.Append(String(part, "text", partPath + ".text") ?? throw Invalid($"Missing required parameter: '{partPath}.text'.", partPath + ".text", OpenAIRequestError.MissingField));
        }

        return text.ToString();
    }

    /// <summary>Earlier tool calls of an assistant turn, as the JSON Llama 3.1 writes for custom tools.</summary>
    private static string ToolCalls(JsonElement calls, string path)
    {
        Expect(calls, JsonValueKind.Array, path);
        var text = new StringBuilder();
        var index = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var callPath = Index(path, index++);
            Expect(call, JsonValueKind.Object, callPath);
            var function = Optional(call, "function") ?? throw Invalid($"Missing required parameter: '{callPath}.function'.", callPath + ".function", OpenAIRequestError.MissingField);
            Expect(function, JsonValueKind.Object, callPath + ".function");
            var name = String(function, "name", callPath + ".function.name") ?? string.Empty;
            var arguments = String(function, "arguments", callPath + ".function.arguments") ?? "{}";
            text.Append("{\"name\": ").Append(JsonSerializer.Serialize(name)).Append(", \"parameters\": ").Append(arguments).Append('}');
        }

        return text.ToString();
    }

    private static ServingRequest Prompt(JsonElement root, ServingRequest request)
    {
        var prompt = Optional(root, "prompt") ?? throw Invalid("Missing required parameter: 'prompt'.", "prompt", OpenAIRequestError.MissingField);
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return request with { PromptText = prompt.GetString() };
        }

        if (prompt.ValueKind != JsonValueKind.Array || prompt.GetArrayLength() == 0)
        {
            throw Invalid("'prompt' must be a string, an array of token ids, or an array holding one of them.", "prompt", OpenAIRequestError.InvalidType);
        }

        var first = prompt[0];
        if (first.ValueKind is JsonValueKind.String or JsonValueKind.Array)
        {
            Refuse(prompt.GetArrayLength() > 1, "prompt", "Several prompts in one request are not supported by this server: send one request per prompt.");
            return first.ValueKind == JsonValueKind.String ? request with { PromptText = first.GetString() } : request with { PromptTokens = Tokens(first, "prompt[0]") };
        }

        return request with { PromptTokens = Tokens(prompt, "prompt") };
    }

    private static List<int> Tokens(JsonElement array, string path)
    {
        var tokens = new List<int>(array.GetArrayLength());
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var token) || token < 0)
            {
                throw Invalid($"'{Index(path, index)}' must be a token id (a non-negative integer).", Index(path, index), OpenAIRequestError.InvalidType);
            }

            tokens.Add(token);
            index++;
        }

        Refuse(tokens.Count == 0, path, $"'{path}' holds no tokens.");
        return tokens;
    }

    private static List<string> Stop(JsonElement root)
    {
        var stop = Optional(root, "stop");
        if (stop is null)
        {
            return [];
        }

        if (stop.Value.ValueKind == JsonValueKind.String)
        {
            return [stop.Value.GetString()!];
        }

        Expect(stop.Value, JsonValueKind.Array, "stop");
        Refuse(stop.Value.GetArrayLength() > MaxStopStrings, "stop", $"'stop' holds at most {MaxStopStrings} strings.");
        var strings = new List<string>();
        var index = 0;
        foreach (var item in stop.Value.EnumerateArray())
        {
            Expect(item, JsonValueKind.String, Index("stop", index++));
            strings.Add(item.GetString()!);
        }

        return strings;
    }

    private static uint? Seed(JsonElement root)
    {
        var seed = Optional(root, "seed");
        if (seed is null)
        {
            return null;
        }

        // OpenAI takes any 64-bit integer; llama.cpp seeds with 32 bits.
        return seed.Value.ValueKind == JsonValueKind.Number && seed.Value.TryGetInt64(out var value)
            ? unchecked((uint)value)
            : throw Invalid($"Invalid type for 'seed': expected an integer, but got {Describe(seed.Value)}.", "seed", OpenAIRequestError.InvalidType);
    }

    private static JsonElement? Optional(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? String(JsonElement parent, string name, string? path = null)
    {
        var value = Optional(parent, name);
        if (value is null)
        {
            return null;
        }

        Expect(value.Value, JsonValueKind.String, path ?? name);
        return value.Value.GetString();
    }

    private static bool? Bool(JsonElement parent, string name, string? path = null)
    {
        var value = Optional(parent, name);
        return value is null ? null
            : value.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.Value.GetBoolean()
            : throw Invalid($"Invalid type for '{path ?? name}': expected a boolean, but got {Describe(value.Value)}.", path ?? name, OpenAIRequestError.InvalidType);
    }

    private static int? Int(JsonElement parent, string name)
    {
        var value = Optional(parent, name);
        return value is null ? null
            : value.Value.ValueKind == JsonValueKind.Number && value.Value.TryGetInt32(out var number) ? number
            : throw Invalid($"Invalid type for '{name}': expected an integer, but got {Describe(value.Value)}.", name, OpenAIRequestError.InvalidType);
    }

    private static float? Float(JsonElement parent, string name)
    {
        var value = Optional(parent, name);
        return value is null ? null
            : value.Value.ValueKind == JsonValueKind.Number ? (float)value.Value.GetDouble()
            : throw Invalid($"Invalid type for '{name}': expected a number, but got {Describe(value.Value)}.", name, OpenAIRequestError.InvalidType);
    }

    private static void Expect(JsonElement value, JsonValueKind kind, string path)
    {
        if (value.ValueKind != kind)
        {
            throw Invalid($"Invalid type for '{path}': expected {Describe(kind)}, but got {Describe(value)}.", path, OpenAIRequestError.InvalidType);
        }
    }

    private static void Refuse(bool condition, string param, string message, string code = OpenAIRequestError.InvalidValue)
    {
        if (condition)
        {
            throw Invalid(message, param, code);
        }
    }

    private static InvalidRequestException Invalid(string message, string? param, string code) => new(new OpenAIRequestError(message, param, code));

    private sealed class InvalidRequestException(OpenAIRequestError error) : Exception(error.Message)
    {
        public OpenAIRequestError Error { get; } = error;
    }
}
