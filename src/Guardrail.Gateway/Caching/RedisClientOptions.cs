namespace Guardrail.Gateway.Caching;

/// <summary>How the Redis client connects and how long it waits.</summary>
internal sealed record RedisClientOptions
{
    public required RedisEndpoint Endpoint { get; init; }

    /// <summary>A PEM or DER CA certificate that TLS server certificates must chain to, instead of the system store.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>Connecting, TLS and the AUTH/SELECT/PING handshake together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one command may wait for its reply.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The first wait after a failed connection attempt; it doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);
}
