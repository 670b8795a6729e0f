using System.Text;
using System.Text.Json.Nodes;
using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

/// <summary>What happened, in order, across the fake upstream, the check and the fake downstream.</summary>
internal sealed class StreamLog
{
    public List<object> Entries { get; } = [];

    public IEnumerable<CheckCall> Checks => Entries.OfType<CheckCall>();

    public int Reads => Entries.OfType<UpstreamRead>().Count();

    public sealed record UpstreamRead(int Chunk);

    public sealed record CheckCall(StreamCheck Check, bool Blocked)
    {
        public long End => Check.TextStart + Check.Text.Length;
    }

    public sealed record DownstreamWrite(byte[] Bytes);
}

/// <summary>An upstream that hands out one scripted chunk per read, then ends, fails or hangs.</summary>
internal sealed class ScriptedUpstream : Stream
{
    private readonly IReadOnlyList<byte[]> _chunks;
    private readonly StreamLog _log;
    private int _next;

    public ScriptedUpstream(IReadOnlyList<byte[]> chunks, StreamLog log)
    {
        _chunks = chunks;
        _log = log;
    }

    /// <summary>After the last chunk: throw an I/O error instead of ending.</summary>
    public bool FailAtEnd { get; init; }

    /// <summary>After the last chunk: wait until cancelled instead of ending.</summary>
    public bool HangAtEnd { get; init; }

    /// <summary>Completes when a read starts waiting (HangAtEnd).</summary>
    public TaskCompletionSource Hanging { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ChunksSupplied => _next;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_next < _chunks.Count)
        {
            var chunk = _chunks[_next];
            if (chunk.Length > buffer.Length)
            {
                throw new InvalidOperationException("Test chunk larger than the read buffer.");
            }

            _log.Entries.Add(new StreamLog.UpstreamRead(_next));
            _next++;
            chunk.CopyTo(buffer);
            return chunk.Length;
        }

        if (FailAtEnd)
        {
            throw new IOException("backend connection reset");
        }

        if (HangAtEnd)
        {
            Hanging.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        return 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush() => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A downstream that records every write in the log; optionally fails like a closed connection.</summary>
internal sealed class RecordingDownstream : Stream
{
    private readonly StreamLog _log;
    private readonly MemoryStream _all = new();

    public RecordingDownstream(StreamLog log) => _log = log;

    public bool FailWrites { get; init; }

    public int Flushes { get; private set; }

    public byte[] Bytes => _all.ToArray();

    public string Text => Encoding.UTF8.GetString(Bytes);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _all.Length;

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (FailWrites)
        {
            throw new IOException("client went away");
        }

        _log.Entries.Add(new StreamLog.DownstreamWrite(buffer.ToArray()));
        _all.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flushes++;
        return Task.CompletedTask;
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush() => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _all.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A check that blocks any text containing the trigger word, and logs every call.</summary>
internal sealed class KeywordCheck
{
    private readonly StreamLog _log;
    private readonly string _trigger;

    public KeywordCheck(StreamLog log, string trigger = "bomb")
    {
        _log = log;
        _trigger = trigger;
    }

    /// <summary>The answer to faults.</summary>
    public bool BlockFaults { get; init; } = true;

    public ValueTask<StreamCheckResult> CheckAsync(StreamCheck check, CancellationToken cancellationToken)
    {
        bool blocked;
        JsonObject payload;
        if (check.Fault is { } fault)
        {
            blocked = BlockFaults;
            payload = new JsonObject { ["reason"] = fault.ToString() };
        }
        else
        {
            blocked = check.Text.Contains(_trigger, StringComparison.OrdinalIgnoreCase);
            payload = new JsonObject
            {
                ["decision_id"] = "dec-1",
                ["categories"] = new JsonArray { new JsonObject { ["code"] = "S9", ["name"] = "Indiscriminate Weapons" } },
            };
        }

        _log.Entries.Add(new StreamLog.CheckCall(check, blocked));
        return ValueTask.FromResult(blocked ? StreamCheckResult.Block(payload) : StreamCheckResult.Allow);
    }
}
