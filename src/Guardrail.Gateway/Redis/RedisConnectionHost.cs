using System.Globalization;
using StackExchange.Redis;

namespace Guardrail.Gateway.Redis;

/// <summary>
/// Owns the process's one <see cref="IConnectionMultiplexer"/>, which every Redis feature shares (the verdict cache
/// today, shared rate limits later). Connecting starts in the background when the host starts and never delays or
/// fails start-up: with <c>AbortOnConnectFail = false</c> the multiplexer exists even while Redis is down and keeps
/// reconnecting on its own.
/// </summary>
internal sealed partial class RedisConnectionHost : IHostedService, IAsyncDisposable
{
    private readonly ConfigurationOptions _options;
    private readonly ILogger<RedisConnectionHost> _logger;
    private readonly Lazy<Task<IConnectionMultiplexer>> _connection;

    public RedisConnectionHost(RedisConnectionOptions options, ILogger<RedisConnectionHost> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Endpoint = options.Endpoint;
        _options = options.ToConfigurationOptions();
        _logger = logger;
        _connection = new Lazy<Task<IConnectionMultiplexer>>(ConnectAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Where Redis is, for logs and messages (never the password).</summary>
    public RedisEndpoint Endpoint { get; }

    /// <summary>The multiplexer, once its first connection attempt has ended (connected or not).</summary>
    public Task<IConnectionMultiplexer> Connection => _connection.Value;

    /// <summary>
    /// The multiplexer, waiting for the first connection attempt no longer than <paramref name="timeout"/>: a request
    /// path that must not wait for a frozen or unreachable server (the connect timeout) passes its command timeout.
    /// </summary>
    /// <exception cref="TimeoutException">The first connection attempt is still running.</exception>
    public Task<IConnectionMultiplexer> GetAsync(TimeSpan timeout)
    {
        var connection = Connection;
        return connection.IsCompleted ? connection : WaitAsync(connection, timeout);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Start connecting; the first command that needs the connection waits for it, start-up does not.
        _ = Connection;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (!_connection.IsValueCreated)
        {
            return;
        }

        var multiplexer = await Connection;
        await multiplexer.CloseAsync(allowCommandsToComplete: false);
        await multiplexer.DisposeAsync();
    }

    private async Task<IConnectionMultiplexer> WaitAsync(Task<IConnectionMultiplexer> connection, TimeSpan timeout)
    {
        try
        {
            return await connection.WaitAsync(timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(
                string.Create(CultureInfo.InvariantCulture, $"No connection to Redis at {Endpoint} within {timeout.TotalMilliseconds} ms: the first connection attempt is still running."),
                e);
        }
    }

    private async Task<IConnectionMultiplexer> ConnectAsync()
    {
        LogConnecting(_logger, Endpoint.ToString());

        // Off the caller's thread: the library resolves and dials before its first await.
        var multiplexer = await Task.Run(() => ConnectionMultiplexer.ConnectAsync(_options));
        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogConnectionFailed(_logger, Endpoint.ToString(), e.FailureType.ToString(), e.Exception?.Message ?? "no detail");
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                LogConnectionRestored(_logger, Endpoint.ToString());
            }
        };
        if (!multiplexer.IsConnected)
        {
            LogConnectionFailed(_logger, Endpoint.ToString(), "UnableToConnect", "the first attempt failed; retrying in the background");
        }

        return multiplexer;
    }

    [LoggerMessage(EventId = GatewayEventIds.RedisUnreachable, Level = LogLevel.Warning, Message = "Redis at {Endpoint} is unreachable ({FailureType}: {Reason}). Reconnecting in the background; the verdict cache is skipped meanwhile.")]
    private static partial void LogConnectionFailed(ILogger logger, string endpoint, string failureType, string reason);

    [LoggerMessage(EventId = GatewayEventIds.RedisReconnected, Level = LogLevel.Information, Message = "Connected to Redis at {Endpoint} again.")]
    private static partial void LogConnectionRestored(ILogger logger, string endpoint);

    [LoggerMessage(EventId = GatewayEventIds.RedisConnecting, Level = LogLevel.Information, Message = "Connecting to Redis at {Endpoint} in the background.")]
    private static partial void LogConnecting(ILogger logger, string endpoint);
}
