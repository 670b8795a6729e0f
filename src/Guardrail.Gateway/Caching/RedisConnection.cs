using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;

namespace Guardrail.Gateway.Caching;

/// <summary>
/// One TCP (or TLS) connection to Redis shared by every caller. A writer drains the queue of commands and sends
/// them in batches (pipelining: many commands per write, no waiting for replies in between); a reader parses
/// replies and completes the commands in the order they were sent, which is the order Redis answers in.
/// </summary>
/// <remarks>
/// A command abandoned by its caller (timeout or cancellation) stays in the FIFO until its reply arrives and is
/// dropped then, so replies never shift onto the wrong command. Any I/O or protocol error breaks the whole
/// connection: every command in flight fails, and <see cref="RedisClient"/> opens a new one.
/// </remarks>
internal sealed class RedisConnection : IAsyncDisposable
{
    private const int FlushThreshold = 64 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Channel<RedisRequest> _outgoing = Channel.CreateUnbounded<RedisRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<RedisRequest> _inFlight = new();
    private readonly Task _writer;
    private readonly Task _reader;
    private Exception? _fault;

    private RedisConnection(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
        _writer = Task.Run(WriteLoopAsync);
        _reader = Task.Run(ReadLoopAsync);
    }

    public bool IsBroken => Volatile.Read(ref _fault) is not null;

    /// <summary>Connects, negotiates TLS when asked, and runs AUTH, SELECT and PING before returning.</summary>
    public static async Task<RedisConnection> ConnectAsync(RedisClientOptions options, CancellationToken cancellationToken)
    {
        var endpoint = options.Endpoint;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        RedisConnection? connection = null;
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (endpoint.UseTls)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(TlsOptions(endpoint, options.CaCertificatePath), cancellationToken);
            }

            connection = new RedisConnection(socket, stream);
            var handshake = new List<Task<RedisReply>>();
            if (endpoint.Password is not null)
            {
                handshake.Add(connection.Send(endpoint.User is null
                    ? RespProtocol.Encode("AUTH", endpoint.Password)
                    : RespProtocol.Encode("AUTH", endpoint.User, endpoint.Password)));
            }

            if (endpoint.Database != 0)
            {
                handshake.Add(connection.Send(RespProtocol.Encode("SELECT", endpoint.Database.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            }

            handshake.Add(connection.Send(RespProtocol.Encode("PING")));
            foreach (var step in handshake)
            {
                var reply = await step.WaitAsync(cancellationToken);
                if (reply.Kind == RedisReplyKind.Error)
                {
                    throw new RedisServerException($"Redis at {endpoint} refused the connection handshake: {reply.Text}");
                }
            }

            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            else
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync();
                }

                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Queues a command; the task completes with its reply, or fails when the connection breaks.</summary>
    public Task<RedisReply> Send(byte[] payload)
    {
        var request = new RedisRequest(payload);
        if (!_outgoing.Writer.TryWrite(request))
        {
            request.TrySetException(Broken());
        }

        return request.Task;
    }

    /// <summary>Breaks the connection: every queued and in-flight command fails with <paramref name="reason"/>.</summary>
    public void Abort(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _fault, reason, null) is null)
        {
            _outgoing.Writer.TryComplete();
            _socket.Dispose();
        }

        FailPending();
    }

    public async ValueTask DisposeAsync()
    {
        Abort(new ObjectDisposedException(nameof(RedisConnection)));
        try
        {
            await Task.WhenAll(_writer, _reader);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
            // The loops end by failing on the closed socket; that is how they are stopped.
        }

        await _stream.DisposeAsync();
    }

    private static SslClientAuthenticationOptions TlsOptions(RedisEndpoint endpoint, string? caCertificatePath)
    {
        var tls = new SslClientAuthenticationOptions { TargetHost = endpoint.Host };
        if (caCertificatePath is not null)
        {
            // Trust exactly this CA (a private or self-signed one) instead of the system store; host names still count.
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(caCertificatePath));
            tls.CertificateChainPolicy = policy;
        }

        return tls;
    }

    private async Task WriteLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(FlushThreshold);
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var request))
                {
                    if (request.Task.IsCompleted)
                    {
                        // Its caller gave up before it was sent: nothing to answer, so do not send it.
                        continue;
                    }

                    _inFlight.Enqueue(request);
                    buffer.Write(request.Payload);
                    if (buffer.WrittenCount >= FlushThreshold)
                    {
                        await _stream.WriteAsync(buffer.WrittenMemory);
                        buffer.ResetWrittenCount();
                    }
                }

                if (IsBroken)
                {
                    break;
                }

                if (buffer.WrittenCount > 0)
                {
                    await _stream.WriteAsync(buffer.WrittenMemory);
                    buffer.ResetWrittenCount();
                }

                await _stream.FlushAsync();
            }
        }
        catch (Exception e)
        {
            Abort(new RedisConnectionException("Writing to Redis failed: " + e.Message, e));
        }

        FailPending();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                while (RespProtocol.TryParse(buffer.AsSpan(start, end - start), out var reply, out var consumed))
                {
                    start += consumed;
                    if (!_inFlight.TryDequeue(out var request))
                    {
                        throw new RedisException("Redis sent a reply that no command was waiting for.");
                    }

                    request.TrySetResult(reply);
                }

                if (start == end)
                {
                    start = end = 0;
                }
                else if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }

                if (end == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await _stream.ReadAsync(buffer.AsMemory(end));
                if (read == 0)
                {
                    throw new RedisConnectionException("Redis closed the connection.");
                }

                end += read;
            }
        }
        catch (Exception e)
        {
            Abort(e is RedisException ? e : new RedisConnectionException("Reading from Redis failed: " + e.Message, e));
        }
    }

    private void FailPending()
    {
        var reason = Broken();
        while (_inFlight.TryDequeue(out var request))
        {
            request.TrySetException(reason);
        }

        while (_outgoing.Reader.TryRead(out var request))
        {
            request.TrySetException(reason);
        }
    }

    private RedisConnectionException Broken()
    {
        var fault = Volatile.Read(ref _fault);
        return fault as RedisConnectionException ?? new RedisConnectionException("The Redis connection is closed: " + fault?.Message, fault);
    }

    private sealed class RedisRequest(byte[] payload) : TaskCompletionSource<RedisReply>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public byte[] Payload { get; } = payload;
    }
}
