using System.Globalization;
using Guardrail.Classification;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Health;
using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Native;
using Guardrail.RemoteClassification;
using Polly.CircuitBreaker;

namespace Guardrail.Gateway.Classification.Remote;

/// <summary>
/// The gateway's side of the remote classifier pool: Llama Guard's tokenizer loaded vocabulary-only, the pool over
/// <c>Guardrail:Classifier:Remote:Endpoints</c>, its endpoints' health and breakers in the log and in <c>/readyz</c>.
/// The pool is ready while at least one endpoint can take checks.
/// </summary>
internal sealed partial class RemoteClassifierPool : IAsyncDisposable
{
    private readonly LlamaGuardVocabulary _vocabulary;
    private readonly RemoteGuardClassifier _pool;
    private readonly GatewayReadiness _readiness;
    private readonly GuardModelVariant? _variant;
    private readonly string _checkName;
    private readonly ILogger _logger;

    private RemoteClassifierPool(LlamaGuardVocabulary vocabulary, RemoteGuardClassifier pool, GatewayReadiness readiness, GuardModelVariant? variant, string checkName, ILogger logger)
    {
        _vocabulary = vocabulary;
        _pool = pool;
        _readiness = readiness;
        _variant = variant;
        _checkName = checkName;
        _logger = logger;
    }

    public RemoteGuardClassifier Classifier => _pool;

    /// <summary>The model's name: <c>Guardrail:Classifier:Remote:Model</c>, else the tokenizer file's.</summary>
    public string ModelName { get; private init; } = string.Empty;

    public int CountTokens(string text) => _vocabulary.CountTokens(text);

    /// <summary>
    /// Loads the tokenizer, creates the pool and starts its health checks. Throws what
    /// <see cref="LlamaGuardVocabulary.Load"/> throws.
    /// </summary>
    public static RemoteClassifierPool Start(
        ClassifierSettings settings,
        string tokenizerPath,
        GatewayReadiness readiness,
        string checkName,
        Action<string, TimeSpan, bool> attemptObserver,
        ILoggerFactory loggerFactory,
        TimeProvider time)
    {
        var options = settings.Remote;
        var logger = loggerFactory.CreateLogger<RemoteClassifierPool>();
        var vocabulary = LlamaGuardVocabulary.Load(tokenizerPath, new NativeRuntimeOptions { UseGpu = false }, loggerFactory);
        var pool = new RemoteGuardClassifier(options, vocabulary, settings.ContextSize, time: time);
        var host = new RemoteClassifierPool(vocabulary, pool, readiness, GuardModelVariant.Find(settings.Variant), checkName, logger)
        {
            ModelName = options.Model ?? vocabulary.Name,
        };
        pool.AttemptObserver = attemptObserver;
        pool.HealthChanged = host.OnHealthChanged;
        pool.BreakerChanged = host.OnBreakerChanged;
        pool.Probed = host.ReportReadiness;
        LogStarted(logger, pool.EndpointNames.Count, string.Join(", ", pool.EndpointNames), tokenizerPath);
        host.ReportReadiness();
        pool.Start();
        return host;
    }

    /// <summary>Stops the pool and frees the tokenizer; idempotent (the host may be disposed as a service and as a hosted service).</summary>
    public async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync().ConfigureAwait(false);
        _vocabulary.Dispose();
    }

    private void OnHealthChanged(string endpoint, bool healthy)
    {
        if (healthy)
        {
            LogHealthy(_logger, endpoint);
        }
        else
        {
            LogUnhealthy(_logger, endpoint);
        }
    }

    private void OnBreakerChanged(string endpoint, CircuitState state)
    {
        switch (state)
        {
            case CircuitState.Open:
                LogBreakerOpened(_logger, endpoint);
                break;
            case CircuitState.HalfOpen:
                LogBreakerHalfOpened(_logger, endpoint);
                break;
            default:
                LogBreakerClosed(_logger, endpoint);
                break;
        }

        ReportReadiness();
    }

    private void ReportReadiness()
    {
        var status = _pool.Status;
        var available = status.Count(static s => s.Healthy && s.Breaker != CircuitState.Open);
        var endpoints = string.Join("; ", status.Select(static s => string.Create(
            CultureInfo.InvariantCulture,
            $"{s.Name} {(s.Healthy ? "healthy" : "unhealthy")}, breaker {s.Breaker.ToString().ToLowerInvariant()}")));
        var warnings = available == status.Count
            ? Array.Empty<string>()
            : [string.Create(CultureInfo.InvariantCulture, $"{status.Count - available} of {status.Count} remote classifier endpoints cannot take checks; the others take them all.")];
        _readiness.Report(new ReadinessCheck(
            _checkName,
            Ready: available > 0,
            string.Create(CultureInfo.InvariantCulture, $"Remote pool {ModelName}: {available} of {status.Count} endpoints available ({endpoints})."),
            warnings,
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ClassifierHost.VariantFact] = (_variant ?? GuardModelVariant.Unknown).Id,
                ["endpoints_available"] = available.ToString(CultureInfo.InvariantCulture),
                ["endpoints"] = status.Count.ToString(CultureInfo.InvariantCulture),
            }));
    }

    [LoggerMessage(EventId = GatewayEventIds.RemoteClassifierStarted, Level = LogLevel.Information, Message = "Remote classifier pool of {Count} endpoints ({Endpoints}); prompts tokenized with {TokenizerPath}")]
    private static partial void LogStarted(ILogger logger, int count, string endpoints, string tokenizerPath);

    [LoggerMessage(EventId = GatewayEventIds.RemoteEndpointUnhealthy, Level = LogLevel.Warning, Message = "Remote classifier endpoint {Endpoint} failed its health check; checks go to the others")]
    private static partial void LogUnhealthy(ILogger logger, string endpoint);

    [LoggerMessage(EventId = GatewayEventIds.RemoteEndpointHealthy, Level = LogLevel.Information, Message = "Remote classifier endpoint {Endpoint} passes its health check again")]
    private static partial void LogHealthy(ILogger logger, string endpoint);

    [LoggerMessage(EventId = GatewayEventIds.RemoteEndpointBreakerOpened, Level = LogLevel.Warning, Message = "Remote classifier endpoint {Endpoint}: breaker opened after failed checks; it is skipped until its break is over")]
    private static partial void LogBreakerOpened(ILogger logger, string endpoint);

    [LoggerMessage(EventId = GatewayEventIds.RemoteEndpointBreakerHalfOpened, Level = LogLevel.Information, Message = "Remote classifier endpoint {Endpoint}: breaker half-open, one trial check")]
    private static partial void LogBreakerHalfOpened(ILogger logger, string endpoint);

    [LoggerMessage(EventId = GatewayEventIds.RemoteEndpointBreakerClosed, Level = LogLevel.Information, Message = "Remote classifier endpoint {Endpoint}: breaker closed, it takes checks again")]
    private static partial void LogBreakerClosed(ILogger logger, string endpoint);
}
