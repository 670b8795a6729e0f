using System.Diagnostics.Metrics;
using Prometheus;

namespace Guardrail.Gateway.Metrics;

/// <summary>Registers the gateway's Prometheus exporter: its own registry, the bridge from its meters, and the process metrics.</summary>
internal static class MetricsServiceCollectionExtensions
{
    public static IServiceCollection AddGuardrailMetrics(this IServiceCollection services)
    {
        services.AddMetrics();

        // A registry per gateway, never prometheus-net's static default: two gateways in one process (tests) export
        // only their own traffic, and nothing registers itself in it behind our back.
        services.AddSingleton(static _ =>
        {
            var registry = Prometheus.Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            return registry;
        });
        services.AddSingleton(static provider => new PrometheusMeterBridge(provider.GetRequiredService<IMeterFactory>(), provider.GetRequiredService<CollectorRegistry>()));
        services.AddSingleton<GatewayMetrics>();
        services.AddHostedService<KnownSeriesService>();
        return services;
    }
}
