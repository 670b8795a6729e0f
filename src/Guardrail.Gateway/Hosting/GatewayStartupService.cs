using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Caching;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Policies;
using Guardrail.Gateway.Health;
using Guardrail.Gateway.Metrics;
using Guardrail.Gateway.Admin.Review;
using Guardrail.Gateway.Configuration;
using Guardrail.Moderation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

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
    private readonly IServer _server;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly DevelopmentKeys _developmentKeys;
    private readonly int? _managementPort;

    // The metric sources are taken here so that they exist, and are exported, before the first request.
    public GatewayStartupService(
        GatewayStartupReport report,
        GatewayReadiness readiness,
        GatewayKeyStore keys,
        PrometheusMeterBridge metricsBridge,
        GatewayMetrics gatewayMetrics,
        ClassifierMetrics classifierMetrics,
        Classification.Remote.RemoteClassifierMetrics remoteClassifierMetrics,
        IEnumerable<VerdictCacheMetrics> cacheMetrics,
        ModerationMetrics moderationMetrics,
        ClassifierHost classifier,
        PolicyHost policies,
        IServer server,
        IHostApplicationLifetime lifetime,
        DevelopmentKeys developmentKeys,
        GuardrailOptions options,
        ILogger<GatewayStartupService> logger)
    {
        _server = server;
        _lifetime = lifetime;
        _developmentKeys = developmentKeys;
        _managementPort = options.Metrics.ManagementPort;
        _classifier = classifier;
        _policies = policies;
        _ = (metricsBridge, gatewayMetrics, classifierMetrics, remoteClassifierMetrics, cacheMetrics.ToList(), moderationMetrics);
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
        _lifetime.ApplicationStarted.Register(Announce);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Once the listeners are bound: where clients and reviewers go, and, when development keys are in use (never
    /// configured ones), which keys they present. The run command's first screen is this.
    /// </summary>
    private void Announce()
    {
        var addresses = _server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var baseAddress = addresses
            .Select(ClientAddress)
            .FirstOrDefault(uri => uri is not null && uri.Port != _managementPort);
        if (baseAddress is null)
        {
            return;
        }

        var root = baseAddress.GetLeftPart(UriPartial.Authority);
        LogListening(_logger, $"{root}/v1", $"{root}{ReviewPageEndpoints.Path}");
        if (_developmentKeys.Client is { } clientKey)
        {
            LogDevelopmentClientKey(_logger, clientKey);
        }

        if (_developmentKeys.Admin is { } adminKey)
        {
            LogDevelopmentAdminKey(_logger, adminKey);
        }
    }

    /// <summary>A bound address as a client would type it: a wildcard host becomes <c>localhost</c>.</summary>
    internal static Uri? ClientAddress(string address)
    {
        var normalized = address.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var uri) ? uri : null;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = GatewayEventIds.ConfigurationWarning, Level = LogLevel.Warning, Message = "Configuration: {Warning}")]
    private static partial void LogConfigurationWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = GatewayEventIds.Configured, Level = LogLevel.Information, Message = "Guardrail gateway configured: {KeyCount} gateway key(s), routes from {RouteSource}")]
    private static partial void LogConfigured(ILogger logger, int keyCount, string routeSource);

    [LoggerMessage(EventId = GatewayEventIds.Listening, Level = LogLevel.Information, Message = "Guardrail is listening: OpenAI base URL {BaseUrl}, review page {ReviewUrl}")]
    private static partial void LogListening(ILogger logger, string baseUrl, string reviewUrl);

    [LoggerMessage(EventId = GatewayEventIds.DevelopmentClientKey, Level = LogLevel.Warning, Message = "Development client key (tenant 'dev'; local use only): {Key}")]
    private static partial void LogDevelopmentClientKey(ILogger logger, string key);

    [LoggerMessage(EventId = GatewayEventIds.DevelopmentAdminKey, Level = LogLevel.Warning, Message = "Development admin key (review page, admin API, /metrics; local use only): {Key}")]
    private static partial void LogDevelopmentAdminKey(ILogger logger, string key);
}
