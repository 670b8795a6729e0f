namespace Guardrail.Gateway.Proxy;

/// <summary>
/// The backend's response body as the response moderator reads it: each read may wait at most the cluster's activity
/// timeout (YARP's <c>HttpRequest.ActivityTimeout</c>, default 100 s) for the backend to send something, as YARP's
/// own body copy does; a long stream that keeps sending never times out. A backend that falls silent is an I/O
/// failure (<see cref="IOException"/>), the client going away a cancellation.
/// </summary>
internal sealed class UpstreamBodyStream : Stream
{
    private readonly Stream _inner;
    private readonly TimeSpan _activityTimeout;
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenRegistration _requestAborted;

    public UpstreamBodyStream(Stream inner, TimeSpan activityTimeout, TimeProvider time, CancellationToken requestAborted)
    {
        _inner = inner;
        _activityTimeout = activityTimeout;
        _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _requestAborted = requestAborted.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _timeout);
        RequestAborted = requestAborted;
    }

    /// <summary>The client's cancellation: a read cancelled by it is the client's, not the backend's, doing.</summary>
    public CancellationToken RequestAborted { get; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
        _timeout.CancelAfter(_activityTimeout);
        try
        {
            return await _inner.ReadAsync(buffer, linked.Token);
        }
        catch (OperationCanceledException e) when (!RequestAborted.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"The backend sent nothing for {_activityTimeout.TotalSeconds:0.#} s (the cluster's HttpRequest:ActivityTimeout).", e);
        }
        finally
        {
            _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read the backend's body asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _requestAborted.Dispose();
            _timeout.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
