using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guardrail.OpenAI;
using static Guardrail.Streaming.StreamEventJson;

namespace Guardrail.Streaming;

/// <summary>
/// The Responses API's stream: typed events (<c>response.created</c>, <c>response.output_text.delta</c>, ...,
/// <c>response.completed</c>), all of one response, so all text is choice 0. Deltas (output text, refusals, reasoning
/// text and summaries, function-call arguments) are the text. Events that repeat text as a whole
/// (<c>response.output_text.done</c>, <c>response.content_part.done</c>, <c>response.output_item.done</c>, the
/// <c>response</c> of <c>response.completed</c>...) are compared with what the deltas said: text they add is text to
/// check, so a backend that says one thing in deltas and another at the end is checked on both. Such events are held
/// until the text before them is covered, like any event that touches the choice. A terminal response event (or a
/// <c>[DONE]</c>, which some servers add) ends the stream.
/// </summary>
/// <remarks>
/// A blocked stream ends as <see cref="ResponsesRefusal"/> says, based on the response <c>response.created</c>
/// described, with the refusal message after the last output item seen.
/// </remarks>
internal sealed class ResponsesStreamDialect : StreamDialect
{
    private const int FunctionArguments = -1;

    private readonly string _refusalText;
    private readonly Func<JsonElement, ChatStreamChunk> _readEvent;

    // What each piece of text (output item, part, kind) has said so far.
    private readonly Dictionary<(int Output, int Part, string Kind), string> _said = [];
    private readonly Dictionary<int, string> _functionNames = [];
    private JsonObject? _response;
    private long _sequence = -1;
    private int _maxOutputIndex = -1;
    private int? _currentCall;

    public ResponsesStreamDialect(string refusalText)
    {
        _refusalText = refusalText;
        _readEvent = ReadEvent;
    }

    public override ChatStreamChunk? Read(SseEvent sseEvent, out string? error) => StreamEventJson.Read(sseEvent.Data!, _readEvent, out error);

    private ChatStreamChunk ReadEvent(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new StreamEventFormatException("the event is not a JSON object");
        }

        var type = OptionalString(root, "type") ?? throw new StreamEventFormatException("the event has no 'type'");
        if (root.TryGetProperty("sequence_number", out var sequence) && sequence.ValueKind == JsonValueKind.Number && sequence.TryGetInt64(out var number))
        {
            _sequence = Math.Max(_sequence, number);
        }

        if (type is "error")
        {
            return new ChatStreamChunk { IsError = true };
        }

        var text = new NewText();
        var output = OptionalIndex(root, "output_index") ?? 0;
        _maxOutputIndex = Math.Max(_maxOutputIndex, output);
        var terminal = type is "response.completed" or "response.incomplete" or "response.failed";
        if (root.TryGetProperty("response", out var response) && response.ValueKind != JsonValueKind.Null)
        {
            ReadResponse(response, text, keep: !terminal);
        }

        if (root.TryGetProperty("item", out var item) && item.ValueKind != JsonValueKind.Null)
        {
            ReadItem(item, output, text);
        }

        if (root.TryGetProperty("part", out var part) && part.ValueKind != JsonValueKind.Null)
        {
            ReadPart(part, output, OptionalIndex(root, "content_index") ?? OptionalIndex(root, "summary_index") ?? 0, text);
        }

        // Every delta is text, of kinds known or added later, and so is a 'delta' an unknown event carries; only the
        // audio delta is not (base64 sound).
        var deltaKind = Between(type, ".delta");
        if (deltaKind is not "audio" && (deltaKind is not null || root.TryGetProperty("delta", out _)))
        {
            var delta = OptionalString(root, "delta") ?? throw new StreamEventFormatException($"'{type}' has no string 'delta'");
            var (kind, index) = KindOf(deltaKind ?? type, root);
            var key = (output, index, kind);
            _said[key] = _said.GetValueOrDefault(key, string.Empty) + delta;
            Add(text, kind, output, delta);
        }
        else if (Between(type, ".done") is { } doneKind)
        {
            var (kind, index) = KindOf(doneKind, root);
            if ((OptionalString(root, "text") ?? OptionalString(root, "refusal") ?? OptionalString(root, "arguments")) is { } whole)
            {
                Compare((output, index, kind), whole, text);
            }
        }

        return new ChatStreamChunk
        {
            IsDone = terminal,
            Choices = [text.ToDelta(terminal ? "stop" : null)],
        };
    }

    // "response.output_text.delta" with suffix ".delta" is "output_text".
    private static string? Between(string type, string suffix) =>
        type.Length > "response.".Length + suffix.Length && type.StartsWith("response.", StringComparison.Ordinal) && type.EndsWith(suffix, StringComparison.Ordinal)
            ? type["response.".Length..^suffix.Length]
            : null;

    private void Add(NewText text, string kind, int output, string added)
    {
        if (added.Length == 0)
        {
            return;
        }

        if (kind is not "function_call_arguments")
        {
            text.Content.Append(added);
            return;
        }

        // The transcript writes a call's header when it gets a name: once per call, however many events its arguments take.
        var name = _currentCall == output ? null : _functionNames.GetValueOrDefault(output, "function");
        _currentCall = output;
        text.Calls.Add(new ToolCallDelta { Index = output, Name = name, Arguments = added });
    }

    private static (string Kind, int Index) KindOf(string kind, JsonElement root) => kind switch
    {
        "function_call_arguments" => (kind, FunctionArguments),
        "reasoning_summary_text" => (kind, OptionalIndex(root, "summary_index") ?? 0),
        _ => (kind, OptionalIndex(root, "content_index") ?? 0),
    };

    private void ReadResponse(JsonElement response, NewText text, bool keep)
    {
        if (response.ValueKind != JsonValueKind.Object)
        {
            throw new StreamEventFormatException("'response' is not an object");
        }

        if (keep)
        {
            _response = (JsonObject)JsonNode.Parse(response.GetRawText())!;
        }

        if (!response.TryGetProperty("output", out var output) || output.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (output.ValueKind != JsonValueKind.Array)
        {
            throw new StreamEventFormatException("'response.output' is not an array");
        }

        var index = 0;
        foreach (var item in output.EnumerateArray())
        {
            _maxOutputIndex = Math.Max(_maxOutputIndex, index);
            ReadItem(item, index++, text);
        }
    }

    private void ReadItem(JsonElement item, int output, NewText text)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new StreamEventFormatException("an output item is not an object");
        }

        if (OptionalString(item, "type") is "function_call")
        {
            var name = OptionalString(item, "name") ?? "function";
            _functionNames[output] = name;
            if (OptionalString(item, "arguments") is { } arguments)
            {
                Compare((output, FunctionArguments, "function_call_arguments"), arguments, text);
            }

            return;
        }

        foreach (var (list, summary) in (ReadOnlySpan<(string, bool)>)[("content", false), ("summary", true)])
        {
            if (!item.TryGetProperty(list, out var parts) || parts.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (parts.ValueKind != JsonValueKind.Array)
            {
                throw new StreamEventFormatException($"an output item's '{list}' is not an array");
            }

            var index = 0;
            foreach (var part in parts.EnumerateArray())
            {
                ReadPart(part, output, index++, text, summary);
            }
        }
    }

    private void ReadPart(JsonElement part, int output, int index, NewText text, bool summary = false)
    {
        if (part.ValueKind != JsonValueKind.Object)
        {
            throw new StreamEventFormatException("a content part is not an object");
        }

        var type = OptionalString(part, "type");
        if (OptionalString(part, "refusal") is { } refusal)
        {
            Compare((output, index, "refusal"), refusal, text);
        }

        if (OptionalString(part, "text") is { } whole)
        {
            var kind = summary || type is "summary_text" ? "reasoning_summary_text" : type is "reasoning_text" ? "reasoning_text" : "output_text";
            Compare((output, index, kind), whole, text);
        }
    }

    // A whole text against what its deltas said: what it adds is new text (all of it when it contradicts them).
    private void Compare((int Output, int Part, string Kind) key, string whole, NewText text)
    {
        var said = _said.GetValueOrDefault(key, string.Empty);
        if (said.StartsWith(whole, StringComparison.Ordinal))
        {
            return;
        }

        var added = whole.StartsWith(said, StringComparison.Ordinal) ? whole[said.Length..] : "\n" + whole;
        _said[key] = whole;
        Add(text, key.Kind, key.Output, added);
    }

    public override void WriteBlocked(IBufferWriter<byte> output, IReadOnlyList<int> open, JsonObject? guardrail)
    {
        var response = _response ?? new JsonObject { ["id"] = "resp_guardrail_blocked", ["object"] = "response" };
        var itemId = ResponsesRefusal.ItemId(guardrail?["decision_id"]?.GetValue<string>());
        ResponsesRefusal.WriteEvents(output, response, _maxOutputIndex + 1, itemId, _refusalText, guardrail ?? [], _sequence);
    }

    private static int? OptionalIndex(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var index) && index >= 0
            ? index
            : throw new StreamEventFormatException($"'{name}' is not a non-negative integer");
    }

    /// <summary>The text one event adds to choice 0: prose as content, function-call arguments as tool-call pieces.</summary>
    private sealed class NewText
    {
        public StringBuilder Content { get; } = new();

        public List<ToolCallDelta> Calls { get; } = [];

        public ChoiceDelta ToDelta(string? finishReason) => new()
        {
            Index = 0,
            Content = Content.Length == 0 ? null : Content.ToString(),
            ToolCalls = Calls,
            FinishReason = finishReason,
        };
    }
}
