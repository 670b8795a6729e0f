using System.Buffers;
using System.Text.Json.Nodes;

namespace Guardrail.Streaming;

/// <summary>
/// What one API's stream means to the moderator (<see cref="StreamModerationRun"/>): how an event's <c>data</c> maps to
/// choice text, and how a blocked stream ends in that API's vocabulary. The hold-back window itself is the same for
/// every API. One instance per stream: a dialect may remember what earlier events said (ids, accumulated text).
/// </summary>
internal abstract class StreamDialect
{
    /// <summary>The dialect of <paramref name="options"/>' protocol, fresh for one stream.</summary>
    public static StreamDialect Create(StreamModerationOptions options) => options.Protocol switch
    {
        StreamProtocol.Responses => new ResponsesStreamDialect(options.RefusalText),
        _ => new ChatStreamDialect(),
    };

    /// <summary>
    /// The event's meaning, or null (with <paramref name="error"/> saying why) when its <c>data</c> cannot be read: text
    /// that cannot be read cannot be checked.
    /// </summary>
    public abstract ChatStreamChunk? Read(SseEvent sseEvent, out string? error);

    /// <summary>
    /// Writes the events that end a blocked stream: <paramref name="open"/> lists the choices whose end the client has
    /// not seen (never empty), <paramref name="guardrail"/> is the blocking check's payload.
    /// </summary>
    public abstract void WriteBlocked(IBufferWriter<byte> output, IReadOnlyList<int> open, JsonObject? guardrail);
}
