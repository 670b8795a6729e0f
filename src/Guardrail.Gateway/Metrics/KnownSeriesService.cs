using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// Exports at zero, from start-up, the upstream series whose label values configuration decides (the clusters), and
/// adds those of clusters a configuration reload brings. A series that exists before its first event lets an alert on
/// <c>increase()</c> or <c>rate()</c> see that first event.
/// </summary>
internal sealed class KnownSeriesService(GatewayMetrics metrics, IProxyConfigProvider proxyConfig) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = ChangeToken.OnChange(() => proxyConfig.GetConfig().ChangeToken, Seed);
        Seed();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _subscription?.Dispose();

    private void Seed() => metrics.ClustersConfigured(proxyConfig.GetConfig().Clusters.Select(static c => c.ClusterId));
}
