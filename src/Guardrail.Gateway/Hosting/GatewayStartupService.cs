using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Caching;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Policies;
using Guardrail.Gateway.Health;
using Guardrail.Gateway.Metrics;
using Guardrail.Moderation;

namespace Guardrail.Gateway.Hosting;

/// <summary>Says at start-up what the gateway runs with and what is missing, and publishes readiness.</summary>
internal sealed partial class GatewayStartupService : IHostedService
{
    private readonly GatewayStartupReport _report;
    private readonly GatewayReadiness _readiness;
    private readonly GatewayKeyStore _keys;
    private readonly ILogger<GatewayStartupService> _logger;
    private readonly ClassifierHost _classifier;
    private readonly PolicyHost _policies;

    // The metric sources are taken here so that they exist, and are exported, before the first request.
    public GatewayStartupService(
        GatewayStartupReport report,
        GatewayReadiness readiness,
        GatewayKeyStore keys,
        PrometheusMeterBridge metricsBridge,
        GatewayMetrics gatewayMetrics,
        ClassifierMetrics classifierMetrics,
        IEnumerable<VerdictCacheMetrics> cacheMetrics,
        ModerationMetrics moderationMetrics,
        ClassifierHost classifier,
        PolicyHost policies,
        ILogger<GatewayStartupService> logger)
    {
        _classifier = classifier;
        _policies = policies;
        _ = (metricsBridge, gatewayMetrics, classifierMetrics, cacheMetrics.ToList(), moderationMetrics);
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

        // Some policy warnings need the model's variant (S14 is known to 8B only); report them once it is loaded.
        _ = _classifier.Loaded.ContinueWith(_ => _policies.ReportModelWarnings(_classifier), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = GatewayEventIds.ConfigurationWarning, Level = LogLevel.Warning, Message = "Configuration: {Warning}")]
    private static partial void LogConfigurationWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = GatewayEventIds.Configured, Level = LogLevel.Information, Message = "Guardrail gateway configured: {KeyCount} gateway key(s), routes from {RouteSource}")]
    private static partial void LogConfigured(ILogger logger, int keyCount, string routeSource);
}
