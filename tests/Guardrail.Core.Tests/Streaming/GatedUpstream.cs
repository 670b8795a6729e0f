using System.Threading.Channels;

namespace Guardrail.Core.Tests.Streaming;

/// <summary>
/// An upstream the test feeds one chunk at a time: <see cref="SupplyAsync"/> returns once the moderator has handled
/// the chunk and asks for the next one (or has finished), so the test can look at the downstream in between.
/// </summary>
internal sealed class GatedUpstream : Stream
{
    private readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>();
    private TaskCompletionSource _readWaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Reads { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Hands out <paramref name="chunk"/> (empty: end of stream) and waits until it was handled.</summary>
    public async Task SupplyAsync(byte[] chunk, Task run)
    {
        var waiting = _readWaiting.Task;
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        _readWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var next = _readWaiting.Task;
        await _chunks.Writer.WriteAsync(chunk);
        await Task.WhenAny(next, run).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Reads++;
        _readWaiting.TrySetResult();
        var chunk = await _chunks.Reader.ReadAsync(cancellationToken);
        chunk.CopyTo(buffer);
        return chunk.Length;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush() => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
