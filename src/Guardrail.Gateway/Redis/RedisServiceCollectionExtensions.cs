using Guardrail.Gateway.Configuration;
using StackExchange.Redis;

namespace Guardrail.Gateway.Redis;

/// <summary>Registers the process's one Redis connection.</summary>
internal static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RedisConnectionHost"/> (connecting in the background from start-up) and its
    /// <see cref="IConnectionMultiplexer"/>, the one every Redis feature of this process uses.
    /// </summary>
    /// <remarks>
    /// Resolving <see cref="IConnectionMultiplexer"/> waits for the first connection attempt (at most the connect
    /// timeout); code on a request path awaits <see cref="RedisConnectionHost.GetAsync"/> with its own limit instead.
    /// </remarks>
    public static IServiceCollection AddGuardrailRedis(this IServiceCollection services, RedisConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton<RedisConnectionHost>();
        services.AddHostedService(static provider => provider.GetRequiredService<RedisConnectionHost>());
        services.AddSingleton<IConnectionMultiplexer>(static provider => provider.GetRequiredService<RedisConnectionHost>().Connection.GetAwaiter().GetResult());
        return services;
    }

    /// <summary>
    /// Registers the connection to <c>Guardrail:Cache:Redis</c> once, for whichever feature asks first (the verdict
    /// cache, shared rate limits), and returns its options; null when no Redis is configured.
    /// </summary>
    public static RedisConnectionOptions? AddGuardrailRedis(this IServiceCollection services, CacheSettings cache, string contentRoot)
    {
        if (services.FirstOrDefault(static service => service.ServiceType == typeof(RedisConnectionOptions))?.ImplementationInstance is RedisConnectionOptions registered)
        {
            return registered;
        }

        if (cache.Redis is not { } url || !RedisEndpoint.TryParse(url, out var endpoint, out _))
        {
            return null;
        }

        var connection = new RedisConnectionOptions
        {
            Endpoint = endpoint!,
            CaCertificatePath = cache.RedisCaCertificatePath is { } ca ? Path.GetFullPath(ca, contentRoot) : null,
            CommandTimeout = TimeSpan.FromMilliseconds(cache.RedisTimeoutMilliseconds),
            ConnectTimeout = TimeSpan.FromMilliseconds(cache.RedisConnectTimeoutMilliseconds),
        };
        CheckCaCertificate(connection);
        services.AddGuardrailRedis(connection);
        return connection;
    }

    /// <summary>A CA file that cannot be read stops start-up naming the key, like every other setting.</summary>
    private static void CheckCaCertificate(RedisConnectionOptions connection)
    {
        if (connection.CaCertificatePath is not { } path)
        {
            return;
        }

        try
        {
            _ = connection.ToConfigurationOptions();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new GatewayConfigurationException(
                [$"Guardrail:Cache:RedisCaCertificatePath '{path}' is not a readable PEM or DER certificate ({e.Message}): point it at the CA that signed the Redis server's certificate."]);
        }
    }
}
