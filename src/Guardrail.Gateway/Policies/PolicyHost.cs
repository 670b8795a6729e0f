using System.Diagnostics.Metrics;
using Guardrail.Classification;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Health;
using Guardrail.Moderation;
using Guardrail.Policies;

namespace Guardrail.Gateway.Policies;

/// <summary>
/// Owns the <see cref="PolicyStore"/>: loads it at start-up (invalid files stop start-up with every error and its
/// position), watches for changes, logs and counts reloads, and exports the versions in force.
/// </summary>
internal sealed partial class PolicyHost : IPolicyReloadObserver, IHostedService, IDisposable
{
    public const string MeterName = "Guardrail.Policies";

    private readonly Meter _meter;
    private readonly Counter<long> _reloads;
    private readonly GatewayReadiness _readiness;
    private readonly ModerationMetrics _moderationMetrics;
    private readonly ILogger<PolicyHost> _logger;

    // Null until a model is loaded: which categories a model knows is only known then.
    private volatile GuardModelVariant? _variant;

    public PolicyHost(PolicyStoreOptions options, GatewayReadiness readiness, ModerationMetrics moderationMetrics, IMeterFactory meterFactory, TimeProvider time, ILogger<PolicyHost> logger)
    {
        _readiness = readiness;
        _moderationMetrics = moderationMetrics;
        _logger = logger;
        _meter = meterFactory.Create(MeterName);
        _reloads = _meter.CreateCounter<long>("guardrail_policy_reloads_total", description: "Policy reloads by result: swapped, unchanged or rejected.");
        Store = new PolicyStore(options, time, this);
        _meter.CreateObservableGauge(
            "guardrail_policy_info",
            () => Store.Current.Policies.Select(p => new Measurement<int>(1, new("policy", p.Id), new("version", p.ContentHash), new("snapshot", Store.Current.Version))),
            description: "The policies in force: one series per policy with its content hash and the snapshot version.");
    }

    public PolicyStore Store { get; }

    /// <summary>Loads the policies or lists every error, for start-up.</summary>
    public static PolicyStoreOptions OptionsFrom(PolicySettings settings, string contentRoot, IReadOnlyCollection<string> requiredPolicyIds) => new()
    {
        PoliciesDirectory = Path.GetFullPath(settings.Directory, contentRoot),
        TaxonomyDirectory = Path.GetFullPath(settings.TaxonomyDirectory, contentRoot),
        Watch = settings.Watch,
        Load = new PolicyLoadOptions { RequiredPolicyIds = requiredPolicyIds },
    };

    public void OnReload(PolicyReloadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        _reloads.Add(1, new KeyValuePair<string, object?>("result", ResultLabel(result.Status)));
        switch (result.Status)
        {
            case PolicyReloadStatus.Swapped:
                LogSwapped(_logger, result.PreviousVersion, result.Version);
                _moderationMetrics.Seed(Store.Current);
                Report();
                break;
            case PolicyReloadStatus.Rejected:
                LogRejected(_logger, result.Version, string.Join(Environment.NewLine, result.Errors));
                break;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Every result is exported from the start (the exporter listens by now), so that an alert on increase()
        // sees the first rejected reload after a restart.
        foreach (var status in Enum.GetValues<PolicyReloadStatus>())
        {
            _reloads.Add(0, new KeyValuePair<string, object?>("result", ResultLabel(status)));
        }

        Store.Start();
        _moderationMetrics.Seed(Store.Current);
        Report();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        Store.Dispose();
        _meter.Dispose();
    }

    /// <summary>
    /// Once the classifier has loaded its model: the policies' categories that model does not know (S14 with a 1B
    /// model, left out of its prompts), reported now and again at every reload. Nothing when no model loaded.
    /// </summary>
    public void ReportModelWarnings(ClassifierHost classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (classifier.ModelName is null)
        {
            return;
        }

        _variant = classifier.Variant;
        Report();
    }

    private void Report()
    {
        var snapshot = Store.Current;
        var variant = _variant;
        var warnings = variant is null ? [] : snapshot.Warnings(variant).Select(w => w.ToString()).ToList();
        foreach (var warning in warnings)
        {
            LogModelWarning(_logger, warning);
        }

        _readiness.Report(new ReadinessCheck(
            "policies",
            Ready: true,
            $"{snapshot.Policies.Count} policies, version {snapshot.Version}, default '{snapshot.Default.Id}'"
            + (variant is null ? "." : $"; prompts built for {variant.Id}."),
            warnings));
    }

    private static string ResultLabel(PolicyReloadStatus status) => status.ToString().ToLowerInvariant();

    [LoggerMessage(EventId = GatewayEventIds.PoliciesReloaded, Level = LogLevel.Information, Message = "Policies reloaded: version {Previous} -> {Current}")]
    private static partial void LogSwapped(ILogger logger, string previous, string current);

    [LoggerMessage(EventId = GatewayEventIds.PolicyChangeRejected, Level = LogLevel.Error, Message = "Policy change rejected (version {Version}); the last good policies stay in force:\n{Errors}")]
    private static partial void LogRejected(ILogger logger, string version, string errors);

    [LoggerMessage(EventId = GatewayEventIds.PolicyModelWarning, Level = LogLevel.Warning, Message = "Policies and model: {Warning}")]
    private static partial void LogModelWarning(ILogger logger, string warning);
}
