using System.Text;
using System.Text.Json.Nodes;

namespace Guardrail.Core.Tests.Streaming;

/// <summary>Builds Responses API event streams as OpenAI sends them (<c>event:</c> and <c>data:</c> lines).</summary>
internal static class ResponsesStreams
{
    public const string Id = "resp_42";
    public const string Model = "test-model";
    public const string ItemId = "msg_1";

    /// <summary>One message whose text streams as <paramref name="pieces"/>, from response.created to response.completed.</summary>
    public static string Text(IEnumerable<string> pieces, string? doneText = null, string newline = "\n")
    {
        var events = new Builder(newline);
        events.Add("response.created", new JsonObject { ["response"] = Response("in_progress", []) });
        events.Add("response.in_progress", new JsonObject { ["response"] = Response("in_progress", []) });
        events.Add("response.output_item.added", new JsonObject { ["output_index"] = 0, ["item"] = Message("in_progress", null) });
        events.Add("response.content_part.added", Part(new JsonObject { ["type"] = "output_text", ["text"] = "", ["annotations"] = new JsonArray() }, "part"));
        var text = new StringBuilder();
        foreach (var piece in pieces)
        {
            text.Append(piece);
            events.Add("response.output_text.delta", Part(piece, "delta"));
        }

        var whole = doneText ?? text.ToString();
        events.Add("response.output_text.done", Part(whole, "text"));
        events.Add("response.content_part.done", Part(new JsonObject { ["type"] = "output_text", ["text"] = whole, ["annotations"] = new JsonArray() }, "part"));
        events.Add("response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = Message("completed", whole) });
        var completed = Response("completed", [Message("completed", whole)]);
        completed["usage"] = new JsonObject { ["input_tokens"] = 5, ["output_tokens"] = 7, ["total_tokens"] = 12 };
        events.Add("response.completed", new JsonObject { ["response"] = completed });
        return events.ToString();
    }

    /// <summary>One function call whose arguments stream as <paramref name="pieces"/>.</summary>
    public static string FunctionCall(string name, IEnumerable<string> pieces)
    {
        var events = new Builder("\n");
        events.Add("response.created", new JsonObject { ["response"] = Response("in_progress", []) });
        JsonObject Call(string status, string arguments) => new() { ["id"] = "fc_1", ["type"] = "function_call", ["status"] = status, ["call_id"] = "call_1", ["name"] = name, ["arguments"] = arguments };
        events.Add("response.output_item.added", new JsonObject { ["output_index"] = 0, ["item"] = Call("in_progress", "") });
        var arguments = new StringBuilder();
        foreach (var piece in pieces)
        {
            arguments.Append(piece);
            events.Add("response.function_call_arguments.delta", new JsonObject { ["item_id"] = "fc_1", ["output_index"] = 0, ["delta"] = piece });
        }

        events.Add("response.function_call_arguments.done", new JsonObject { ["item_id"] = "fc_1", ["output_index"] = 0, ["arguments"] = arguments.ToString() });
        events.Add("response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = Call("completed", arguments.ToString()) });
        events.Add("response.completed", new JsonObject { ["response"] = Response("completed", [Call("completed", arguments.ToString())]) });
        return events.ToString();
    }

    public static JsonObject Response(string status, JsonNode[] output) => new()
    {
        ["id"] = Id,
        ["object"] = "response",
        ["created_at"] = 1700000000,
        ["status"] = status,
        ["model"] = Model,
        ["instructions"] = "Be kind.",
        ["output"] = new JsonArray(output),
    };

    private static JsonObject Message(string status, string? text) => new()
    {
        ["id"] = ItemId,
        ["type"] = "message",
        ["status"] = status,
        ["role"] = "assistant",
        ["content"] = text is null ? new JsonArray() : new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() }),
    };

    private static JsonObject Part(JsonNode value, string name) => new() { ["item_id"] = ItemId, ["output_index"] = 0, ["content_index"] = 0, [name] = value };

    private sealed class Builder(string newline)
    {
        private readonly StringBuilder _text = new();
        private int _sequence;

        public void Add(string type, JsonObject fields)
        {
            var data = new JsonObject { ["type"] = type, ["sequence_number"] = _sequence++ };
            foreach (var (name, value) in fields.ToList())
            {
                fields.Remove(name);
                data[name] = value;
            }

            _text.Append("event: ").Append(type).Append(newline).Append("data: ").Append(data.ToJsonString()).Append(newline).Append(newline);
        }

        public override string ToString() => _text.ToString();
    }
}
