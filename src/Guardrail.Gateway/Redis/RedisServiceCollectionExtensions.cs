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
        services.AddSingleton(options);
        services.AddSingleton<RedisConnectionHost>();
        services.AddHostedService(static provider => provider.GetRequiredService<RedisConnectionHost>());
        services.AddSingleton<IConnectionMultiplexer>(static provider => provider.GetRequiredService<RedisConnectionHost>().Connection.GetAwaiter().GetResult());
        return services;
    }
}
