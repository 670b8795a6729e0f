using System.Globalization;
using Guardrail.Caching;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;

namespace Guardrail.Gateway.Caching;

/// <summary>Registers the verdict cache that <see cref="Guardrail.Moderation.ModerationPipeline"/> uses before classifying.</summary>
internal static class VerdictCacheServiceCollectionExtensions
{
    public static IServiceCollection AddGuardrailVerdictCache(this IServiceCollection services, GuardrailOptions options, string contentRoot)
    {
        var cache = options.Cache;
        if (!cache.Enabled)
        {
            return services;
        }

        var ttl = TimeSpan.FromSeconds(cache.TtlSeconds);
        var model = ClassifierModelIdentity(options.Classifier, contentRoot);
        if (services.AddGuardrailRedis(cache, contentRoot) is { } connection)
        {
            // The library's IDistributedCache on the process's one multiplexer. A lookup waits for the first connection
            // attempt no longer than for a reply, so a frozen server at start-up costs a request one command timeout.
            services.AddStackExchangeRedisCache(redis => redis.InstanceName = cache.RedisKeyPrefix);
            services.AddOptions<RedisCacheOptions>().Configure<RedisConnectionHost>((redis, host) =>
                redis.ConnectionMultiplexerFactory = () => host.GetAsync(connection.CommandTimeout));
            services.AddSingleton(provider => new VerdictCacheMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "redis"));
            services.AddSingleton(provider => new GuardedVerdictCache(
                new DistributedVerdictCache(provider.GetRequiredService<IDistributedCache>(), ttl),
                provider.GetRequiredService<VerdictCacheMetrics>(),
                new VerdictCacheBreakerOptions { Store = "redis", BreakDuration = TimeSpan.FromMilliseconds(cache.BreakMilliseconds) },
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<GuardedVerdictCache>>()));
        }
        else
        {
            services.AddSingleton(provider => new VerdictCacheMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "memory"));
            services.AddSingleton(provider => new GuardedVerdictCache(
                new MemoryVerdictCache(cache.MaxEntries, ttl, provider.GetRequiredService<TimeProvider>()),
                provider.GetRequiredService<VerdictCacheMetrics>(),
                breaker: null,
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<GuardedVerdictCache>>()));
        }

        services.AddSingleton(provider => new VerdictCaching(provider.GetRequiredService<GuardedVerdictCache>(), model));
        return services;
    }

    /// <summary>
    /// What identifies the classifier's answers across replicas: the model file's name and size (hashing a
    /// multi-gigabyte file at start-up would be too slow) and the context size, which decides truncation.
    /// </summary>
    internal static string ClassifierModelIdentity(ClassifierSettings classifier, string contentRoot)
    {
        if (string.IsNullOrWhiteSpace(classifier.ModelPath))
        {
            return "none";
        }

        var file = new FileInfo(Path.GetFullPath(classifier.ModelPath, contentRoot));
        var size = file.Exists ? file.Length.ToString(CultureInfo.InvariantCulture) : "missing";
        return string.Create(CultureInfo.InvariantCulture, $"llama-guard:{file.Name}:{size}:ctx{classifier.ContextSize}");
    }
}
