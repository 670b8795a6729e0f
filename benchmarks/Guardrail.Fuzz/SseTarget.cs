using Guardrail.Policies;
using Guardrail.Streaming;

namespace Guardrail.Fuzz;

/// <summary>
/// <c>sse</c>: one backend stream. The first byte picks the settings (protocol, streaming mode, a small or the default
/// event limit, the default or the smallest buffer), the second seeds the chunk sizes; the rest is the stream, read in chunks of 1 to 64 bytes or whole.
/// It runs through the SSE parser (whose events must not depend on where the chunks split and must add up to the
/// bytes read), the chunk reader of each event, and the stream moderator with a check that blocks a keyword.
/// Contract: the parser may throw <see cref="SseFormatException"/> (an event over the limit) and the chunk reader
/// reports, never throws; the moderator returns a result for any stream.
/// </summary>
internal static class SseTarget
{
    private const int SmallEventLimit = 256;

    public static void Run(byte[] input)
    {
        if (input.Length < 2)
        {
            return;
        }

        var settings = input[0];
        var body = input.AsMemory(2);
        var chunks = Split(body, input[1]);
        var maxEventBytes = (settings & 0x10) == 0 ? SseParser.DefaultMaxEventBytes : SmallEventLimit;
        var options = new StreamModerationOptions
        {
            Protocol = (settings & 1) == 0 ? StreamProtocol.ChatCompletions : StreamProtocol.Responses,
            Mode = ((settings >> 1) & 3) switch { 0 => StreamingMode.Window, 1 => StreamingMode.Buffer, _ => StreamingMode.Monitor },
            MaxEventBytes = maxEventBytes,
            // The smallest buffer the options admit (one event), so that the buffer-limit fault is reached.
            MaxBufferedBytes = (settings & 0x20) == 0 ? 4L * 1024 * 1024 : maxEventBytes,
            WindowChars = 32,
            OverlapChars = 8,
        };

        var whole = ParseEvents([body], options.MaxEventBytes);
        var split = ParseEvents(chunks, options.MaxEventBytes);
        CompareEvents(whole, split);
        if (whole.Events is { } events)
        {
            var dialect = StreamDialect.Create(options);
            foreach (var sseEvent in events.Where(e => e.Data is not null))
            {
                _ = ChatStreamChunkReader.Read(sseEvent.Data!, out _);
                _ = dialect.Read(sseEvent, out _);
            }
        }

        Moderate(options, chunks);
    }

    private static void Moderate(StreamModerationOptions options, IReadOnlyList<ReadOnlyMemory<byte>> chunks)
    {
        using var upstream = new ChunkedStream(chunks);
        using var downstream = new MemoryStream();
        var result = new StreamModerator(options)
            .RunAsync(upstream, downstream, Check, CancellationToken.None)
            .GetAwaiter()
            .GetResult();
        if (result.DownstreamBytes != downstream.Length)
        {
            throw new FuzzFindingException($"the moderator counted {result.DownstreamBytes} bytes sent but wrote {downstream.Length}.");
        }

        if (result.UpstreamBytes > chunks.Sum(chunk => (long)chunk.Length))
        {
            throw new FuzzFindingException("the moderator counted more bytes read than the backend sent.");
        }
    }

    private static ValueTask<StreamCheckResult> Check(StreamCheck check, CancellationToken cancellationToken) =>
        ValueTask.FromResult(
            check.Fault is null && check.Text.Contains("bomb", StringComparison.OrdinalIgnoreCase)
                ? StreamCheckResult.Block(null)
                : StreamCheckResult.Allow);

    private static (List<SseEvent>? Events, int Discarded, string? Error) ParseEvents(IReadOnlyList<ReadOnlyMemory<byte>> chunks, int maxEventBytes)
    {
        var parser = new SseParser(maxEventBytes);
        var events = new List<SseEvent>();
        try
        {
            foreach (var chunk in chunks)
            {
                parser.Parse(chunk.Span, events);
            }

            return (events, parser.Complete(events), null);
        }
        catch (SseFormatException e)
        {
            return (null, 0, e.Message);
        }
    }

    private static void CompareEvents((List<SseEvent>? Events, int Discarded, string? Error) whole, (List<SseEvent>? Events, int Discarded, string? Error) split)
    {
        if ((whole.Error is null) != (split.Error is null))
        {
            throw new FuzzFindingException($"the event limit tripped for one chunking only: '{whole.Error ?? split.Error}'.");
        }

        if (whole.Events is null || split.Events is null)
        {
            return;
        }

        if (whole.Events.Count != split.Events.Count || whole.Discarded != split.Discarded)
        {
            throw new FuzzFindingException($"{whole.Events.Count} events whole, {split.Events.Count} split.");
        }

        for (var i = 0; i < whole.Events.Count; i++)
        {
            var (a, b) = (whole.Events[i], split.Events[i]);
            if (!a.Raw.Span.SequenceEqual(b.Raw.Span) || !string.Equals(a.Data, b.Data, StringComparison.Ordinal) || !string.Equals(a.EventType, b.EventType, StringComparison.Ordinal)
                || !string.Equals(a.Id, b.Id, StringComparison.Ordinal) || a.Retry != b.Retry)
            {
                throw new FuzzFindingException($"event {i} differs with the chunking.");
            }
        }
    }

    // Deterministic chunk sizes from the seed byte: 0 sends the stream whole, otherwise sizes cycle through 1 to 64.
    private static List<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> body, byte seed)
    {
        if (seed == 0)
        {
            return [body];
        }

        var chunks = new List<ReadOnlyMemory<byte>>();
        var state = (uint)seed * 2654435761u;
        while (!body.IsEmpty)
        {
            state = (state * 1103515245u) + 12345u;
            var size = Math.Min(body.Length, (int)((state >> 16) % 64) + 1);
            chunks.Add(body[..size]);
            body = body[size..];
        }

        return chunks;
    }

    /// <summary>A backend body handed out one chunk per read, synchronously (so the run stays on this thread).</summary>
    private sealed class ChunkedStream(IReadOnlyList<ReadOnlyMemory<byte>> chunks) : Stream
    {
        private int _next;
        private int _offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_next >= chunks.Count)
            {
                return 0;
            }

            var chunk = chunks[_next].Span[_offset..];
            var take = Math.Min(chunk.Length, buffer.Length);
            chunk[..take].CopyTo(buffer);
            _offset += take;
            if (_offset == chunks[_next].Length)
            {
                (_next, _offset) = (_next + 1, 0);
            }

            return take;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
