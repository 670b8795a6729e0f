using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Health;
using Guardrail.Gateway.Metrics;

namespace Guardrail.Gateway.Hosting;

/// <summary>Says at start-up what the gateway runs with and what is missing, and publishes readiness.</summary>
internal sealed partial class GatewayStartupService : IHostedService
{
    private readonly GatewayStartupReport _report;
    private readonly GatewayReadiness _readiness;
    private readonly GatewayKeyStore _keys;
    private readonly ILogger<GatewayStartupService> _logger;

    // The metric sources are taken here so that they exist, and are exported, before the first request.
    public GatewayStartupService(
        GatewayStartupReport report,
        GatewayReadiness readiness,
        GatewayKeyStore keys,
        MetricsRegistry metricsRegistry,
        GatewayMetrics gatewayMetrics,
        ProcessMetrics processMetrics,
        ILogger<GatewayStartupService> logger)
    {
        _ = (metricsRegistry, gatewayMetrics, processMetrics);
        _report = report;
        _readiness = readiness;
        _keys = keys;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var warning in _report.Warnings)
        {
            LogConfigurationWarning(_logger, warning);
        }

        LogConfigured(_logger, _keys.Count, _report.UsesDefaultProxy ? "default" : "ReverseProxy section");
        _readiness.Report(new ReadinessCheck(
            "configuration",
            Ready: true,
            _report.UsesDefaultProxy ? "Loaded; using the default backend route." : "Loaded from the ReverseProxy and Guardrail sections.",
            _report.Warnings));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Configuration: {Warning}")]
    private static partial void LogConfigurationWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Guardrail gateway configured: {KeyCount} gateway key(s), routes from {RouteSource}")]
    private static partial void LogConfigured(ILogger logger, int keyCount, string routeSource);
}
