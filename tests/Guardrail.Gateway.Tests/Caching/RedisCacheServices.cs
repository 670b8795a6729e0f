using Guardrail.Gateway.Caching;
using Guardrail.Gateway.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Caching;

/// <summary>The gateway's verdict-cache registration for a Redis URL, as a service provider of its own.</summary>
internal static class RedisCacheServices
{
    public static ServiceProvider Create(string url, string keyPrefix, int ttlSeconds = 3600, int commandTimeoutMilliseconds = 15_000)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton(TimeProvider.System);

        // Generous timeouts: the CI machine is shared and a loaded core must not read as a Redis failure.
        var options = new GuardrailOptions
        {
            Cache = new CacheSettings
            {
                Redis = url,
                RedisKeyPrefix = keyPrefix,
                TtlSeconds = ttlSeconds,
                RedisTimeoutMilliseconds = commandTimeoutMilliseconds,
                RedisConnectTimeoutMilliseconds = 15_000,
            },
        };
        services.AddGuardrailVerdictCache(options, AppContext.BaseDirectory);
        return services.BuildServiceProvider();
    }
}
