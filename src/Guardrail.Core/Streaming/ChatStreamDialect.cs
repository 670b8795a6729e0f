using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Guardrail.Streaming;

/// <summary>
/// Chat completion and legacy completion streams: chunks with <c>choices</c>, ended by <c>data: [DONE]</c>. A blocked
/// stream ends with one chunk holding <c>finish_reason: "content_filter"</c> for every open choice and the top-level
/// <c>guardrail</c> object, then <c>[DONE]</c>.
/// </summary>
internal sealed class ChatStreamDialect : StreamDialect
{
    private string? _id;
    private string? _object;
    private string? _model;
    private long? _created;

    public override ChatStreamChunk? Read(SseEvent sseEvent, out string? error)
    {
        var chunk = ChatStreamChunkReader.Read(sseEvent.Data!, out error);
        if (chunk is { IsDone: false })
        {
            _id ??= chunk.Id;
            _object ??= chunk.Object;
            _model ??= chunk.Model;
            _created ??= chunk.Created;
        }

        return chunk;
    }

    public override void WriteBlocked(IBufferWriter<byte> output, IReadOnlyList<int> open, JsonObject? guardrail)
    {
        var legacy = string.Equals(_object, "text_completion", StringComparison.Ordinal);
        output.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("id", _id ?? "guardrail-blocked");
            writer.WriteString("object", _object ?? "chat.completion.chunk");
            writer.WriteNumber("created", _created ?? 0);
            writer.WriteString("model", _model ?? string.Empty);
            writer.WriteStartArray("choices");
            foreach (var index in open)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", index);
                if (legacy)
                {
                    writer.WriteString("text", string.Empty);
                }
                else
                {
                    writer.WriteStartObject("delta");
                    writer.WriteEndObject();
                }

                writer.WriteString("finish_reason", "content_filter");
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WritePropertyName("guardrail");
            (guardrail ?? []).WriteTo(writer);
            writer.WriteEndObject();
        }

        output.Write("\n\ndata: [DONE]\n\n"u8);
    }
}
