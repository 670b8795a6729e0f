using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Redis;

namespace Guardrail.Gateway.Limits;

/// <summary>Registers the rate limits: in this process, or shared through Redis when <c>Guardrail:Cache:Redis</c> is set.</summary>
internal static class RateLimitServiceCollectionExtensions
{
    public static IServiceCollection AddGuardrailRateLimits(this IServiceCollection services, GuardrailOptions options, string contentRoot)
    {
        services.AddSingleton<RateLimitMetrics>();
        services.AddSingleton<TokenCounter>();
        services.AddSingleton<GatewayRateLimiter>();
        services.AddSingleton<LimitRefusalRecorder>();
        if (options.RateLimits.AnyLimit && services.AddGuardrailRedis(options.Cache, contentRoot) is { } connection)
        {
            services.AddSingleton<ILimitStore>(provider => new SharedLimitStore(
                new RedisLimitStore(provider.GetRequiredService<RedisConnectionHost>(), connection.CommandTimeout, options.Cache.RedisKeyPrefix),
                options.RateLimits.ReplicaCount,
                TimeSpan.FromMilliseconds(options.Cache.BreakMilliseconds),
                provider.GetRequiredService<RateLimitMetrics>(),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<SharedLimitStore>>()));
        }
        else
        {
            services.AddSingleton<ILimitStore, MemoryLimitStore>();
        }

        return services;
    }
}
