using System.Globalization;
using System.Text;

namespace Guardrail.Gateway.Caching;

/// <summary>
/// The commands the cache needs over one multiplexed <see cref="RedisConnection"/>: GET, SET with PX, DEL,
/// PEXPIRE and PING. A broken connection is replaced on the next command; failed attempts back off
/// exponentially, and while backing off commands fail at once instead of piling up behind a dead server.
/// </summary>
/// <remarks>
/// A command that times out breaks the connection it was sent on. A server that stopped answering (paused,
/// partitioned) would otherwise keep the connection open forever with every later command stuck behind the
/// silent one; a fresh connection either works or fails fast into the backoff.
/// </remarks>
internal sealed partial class RedisClient : IAsyncDisposable
{
    private readonly RedisClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private volatile RedisConnection? _connection;
    private Task<RedisConnection>? _connecting;
    private long _nextAttempt;
    private TimeSpan _backoff;
    private Exception? _lastFailure;
    private bool _wasDown;

    public RedisClient(RedisClientOptions options, TimeProvider time, ILogger<RedisClient> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _backoff = options.MinReconnectDelay;
    }

    public RedisEndpoint Endpoint => _options.Endpoint;

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var reply = await ExecuteAsync(RespProtocol.Encode(Encoding.UTF8.GetBytes("GET"), Encoding.UTF8.GetBytes(key)), cancellationToken);
        return reply.Kind switch
        {
            RedisReplyKind.BulkString => reply.Bytes,
            RedisReplyKind.Null => null,
            _ => throw Unexpected("GET", reply),
        };
    }

    /// <summary>SET key value [PX milliseconds].</summary>
    public async Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? expiry, CancellationToken cancellationToken)
    {
        byte[] payload;
        if (expiry is { } ttl)
        {
            var milliseconds = Math.Max(1L, (long)Math.Ceiling(ttl.TotalMilliseconds));
            payload = RespProtocol.Encode(SetCommand, Encoding.UTF8.GetBytes(key), value, PxArgument, Encoding.UTF8.GetBytes(milliseconds.ToString(CultureInfo.InvariantCulture)));
        }
        else
        {
            payload = RespProtocol.Encode(SetCommand, Encoding.UTF8.GetBytes(key), value);
        }

        var reply = await ExecuteAsync(payload, cancellationToken);
        if (reply.Kind != RedisReplyKind.SimpleString)
        {
            throw Unexpected("SET", reply);
        }
    }

    /// <summary>DEL key; the number of keys removed.</summary>
    public async Task<long> DeleteAsync(string key, CancellationToken cancellationToken) =>
        IntegerOf("DEL", await ExecuteAsync(RespProtocol.Encode("DEL", key), cancellationToken));

    /// <summary>PEXPIRE key milliseconds; false when the key does not exist.</summary>
    public async Task<bool> ExpireAsync(string key, TimeSpan expiry, CancellationToken cancellationToken) =>
        IntegerOf("PEXPIRE", await ExecuteAsync(
            RespProtocol.Encode("PEXPIRE", key, Math.Max(1L, (long)expiry.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)),
            cancellationToken)) == 1;

    /// <summary>PTTL key in milliseconds: -2 when the key does not exist, -1 when it has no expiry.</summary>
    public async Task<long> TimeToLiveAsync(string key, CancellationToken cancellationToken) =>
        IntegerOf("PTTL", await ExecuteAsync(RespProtocol.Encode("PTTL", key), cancellationToken));

    public async Task<string> PingAsync(CancellationToken cancellationToken) =>
        (await ExecuteAsync(RespProtocol.Encode("PING"), cancellationToken)).ToString();

    /// <summary>Sends any command (tests and tools); an error reply throws <see cref="RedisServerException"/>.</summary>
    public async Task<RedisReply> ExecuteAsync(byte[] payload, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken);
        var pending = connection.Send(payload);
        RedisReply reply;
        if (pending.IsCompleted)
        {
            reply = await pending;
        }
        else
        {
            try
            {
                reply = await pending.WaitAsync(_options.CommandTimeout, _time, cancellationToken);
            }
            catch (TimeoutException e)
            {
                var timeout = new RedisTimeoutException(
                    string.Create(CultureInfo.InvariantCulture, $"Redis at {_options.Endpoint} did not answer within {_options.CommandTimeout.TotalMilliseconds} ms."),
                    e);
                connection.Abort(timeout);
                throw timeout;
            }
        }

        return reply.Kind == RedisReplyKind.Error ? throw new RedisServerException(reply.Text ?? "ERR") : reply;
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        Task<RedisConnection>? connecting;
        lock (_gate)
        {
            connecting = _connecting;
        }

        if (connecting is not null)
        {
            try
            {
                await connecting;
            }
            catch (RedisException)
            {
                // It was cancelled by the disposal above.
            }
        }

        if (_connection is { } connection)
        {
            await connection.DisposeAsync();
        }

        _disposed.Dispose();
    }

    private static readonly byte[] SetCommand = "SET"u8.ToArray();
    private static readonly byte[] PxArgument = "PX"u8.ToArray();

    private ValueTask<RedisConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        var current = _connection;
        return current is { IsBroken: false } ? ValueTask.FromResult(current) : new ValueTask<RedisConnection>(WaitForConnectionAsync(cancellationToken));
    }

    // A command waits for a new connection no longer than for a reply: a caller's wait stays bounded by the command
    // timeout even while a slow connection attempt (a frozen server accepts TCP but never answers) runs on.
    private async Task<RedisConnection> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ReconnectAsync(cancellationToken).WaitAsync(_options.CommandTimeout, _time, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new RedisTimeoutException(
                string.Create(CultureInfo.InvariantCulture, $"No connection to Redis at {_options.Endpoint} within {_options.CommandTimeout.TotalMilliseconds} ms."),
                e);
        }
    }

    private async Task<RedisConnection> ReconnectAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Task<RedisConnection> attempt;
        lock (_gate)
        {
            if (_connection is { IsBroken: false } current)
            {
                return current;
            }

            if (_connecting is null)
            {
                var wait = TimeSpan.FromTicks(Math.Max(0, _nextAttempt - _time.GetUtcNow().UtcTicks));
                if (wait > TimeSpan.Zero)
                {
                    throw new RedisConnectionException(
                        string.Create(CultureInfo.InvariantCulture, $"Redis at {_options.Endpoint} is unavailable; the next connection attempt is in {wait.TotalMilliseconds:0} ms."),
                        _lastFailure);
                }

                // Run it apart from this caller: its cancellation must not cancel an attempt others wait for.
                _connecting = Task.Run(ConnectOnceAsync);
            }

            attempt = _connecting;
        }

        return await attempt.WaitAsync(cancellationToken);
    }

    private async Task<RedisConnection> ConnectOnceAsync()
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            RedisConnection connection;
            try
            {
                connection = await RedisConnection.ConnectAsync(_options, timeout.Token);
            }
            catch (OperationCanceledException e)
            {
                throw new RedisTimeoutException(
                    string.Create(CultureInfo.InvariantCulture, $"Connecting to Redis at {_options.Endpoint} took longer than {_options.ConnectTimeout.TotalMilliseconds} ms."),
                    e);
            }

            var previous = _connection;
            _connection = connection;
            if (previous is not null)
            {
                await previous.DisposeAsync();
            }

            lock (_gate)
            {
                _backoff = _options.MinReconnectDelay;
                _nextAttempt = 0;
                if (_wasDown)
                {
                    _wasDown = false;
                    LogReconnected(_logger, _options.Endpoint.ToString());
                }
            }

            return connection;
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            var failure = e as RedisException ?? new RedisConnectionException($"Connecting to Redis at {_options.Endpoint} failed: {e.Message}", e);
            lock (_gate)
            {
                _lastFailure = failure;
                _nextAttempt = (_time.GetUtcNow() + _backoff).UtcTicks;
                if (!_wasDown)
                {
                    _wasDown = true;
                    LogConnectFailed(_logger, _options.Endpoint.ToString(), failure.Message);
                }

                _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            }

            throw failure;
        }
        finally
        {
            lock (_gate)
            {
                _connecting = null;
            }
        }
    }

    private static long IntegerOf(string command, RedisReply reply) =>
        reply.Kind == RedisReplyKind.Integer ? reply.Integer : throw Unexpected(command, reply);

    private static RedisException Unexpected(string command, RedisReply reply) =>
        new($"Unexpected reply to {command}: {reply.Kind}.");

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Cannot connect to Redis at {Endpoint}: {Reason}. Retrying with backoff.")]
    private static partial void LogConnectFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Connected to Redis at {Endpoint} again.")]
    private static partial void LogReconnected(ILogger logger, string endpoint);
}
