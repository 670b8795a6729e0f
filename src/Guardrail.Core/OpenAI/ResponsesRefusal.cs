using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Guardrail.OpenAI;

/// <summary>
/// How a refusal looks in the Responses API, one way for every case (a blocked prompt, a blocked response, a stream
/// cut): the response with <c>status: "incomplete"</c>, <c>incomplete_details.reason: "content_filter"</c>, and as its
/// output one assistant message whose only content part is a <c>refusal</c>; streamed, that message's events and then
/// <c>response.incomplete</c>. The <c>guardrail</c> object sits at the top level of the body, or of the
/// <c>response.incomplete</c> event.
/// </summary>
public static class ResponsesRefusal
{
    public const string ContentFilter = "content_filter";

    /// <summary>The id of the refusal message of decision <paramref name="decisionId"/>.</summary>
    public static string ItemId(string? decisionId) => "msg_guardrail_" + (decisionId ?? "blocked");

    /// <summary>Makes <paramref name="response"/> the refused response: incomplete, with the refusal as its only output.</summary>
    public static JsonObject Refuse(JsonObject response, string itemId, string refusal)
    {
        response["status"] = "incomplete";
        response["incomplete_details"] = new JsonObject { ["reason"] = ContentFilter };
        response["output"] = new JsonArray(Message(itemId, "incomplete", refusal));
        return response;
    }

    /// <summary>
    /// The events that end a refused stream: the refusal message at <paramref name="outputIndex"/>, then
    /// <c>response.incomplete</c> with <paramref name="response"/> refused and the top-level <c>guardrail</c>.
    /// <paramref name="sequence"/> is the last <c>sequence_number</c> the stream used.
    /// </summary>
    public static void WriteEvents(IBufferWriter<byte> output, JsonObject response, int outputIndex, string itemId, string refusal, JsonObject guardrail, long sequence)
    {
        void Write(string type, JsonObject fields)
        {
            var data = new JsonObject { ["type"] = type, ["sequence_number"] = ++sequence };
            foreach (var (name, value) in fields.ToList())
            {
                fields.Remove(name);
                data[name] = value;
            }

            output.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"event: {type}\ndata: {data.ToJsonString()}\n\n")));
        }

        JsonObject Part(string name, JsonNode value) => new() { ["item_id"] = itemId, ["output_index"] = outputIndex, ["content_index"] = 0, [name] = value };

        Write("response.output_item.added", new JsonObject { ["output_index"] = outputIndex, ["item"] = Message(itemId, "in_progress", null) });
        Write("response.content_part.added", Part("part", RefusalPart(string.Empty)));
        Write("response.refusal.delta", Part("delta", refusal));
        Write("response.refusal.done", Part("refusal", refusal));
        Write("response.content_part.done", Part("part", RefusalPart(refusal)));
        Write("response.output_item.done", new JsonObject { ["output_index"] = outputIndex, ["item"] = Message(itemId, "incomplete", refusal) });
        Write("response.incomplete", new JsonObject { ["response"] = Refuse(response, itemId, refusal), ["guardrail"] = guardrail.DeepClone() });
    }

    private static JsonObject Message(string itemId, string status, string? refusal) => new()
    {
        ["id"] = itemId,
        ["type"] = "message",
        ["status"] = status,
        ["role"] = "assistant",
        ["content"] = refusal is null ? new JsonArray() : new JsonArray(RefusalPart(refusal)),
    };

    private static JsonObject RefusalPart(string refusal) => new() { ["type"] = "refusal", ["refusal"] = refusal };
}
