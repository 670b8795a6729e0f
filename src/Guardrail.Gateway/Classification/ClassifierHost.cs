using Guardrail.Classification;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Health;
using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.Gateway.Classification;

/// <summary>
/// The gateway's <see cref="IGuardClassifier"/>: Llama Guard once its model is loaded, a classifier failure before
/// that (so the policy's <c>on_error</c> decides, and fails closed by default). The model loads on its own thread
/// after start-up, so <c>/healthz</c> answers while a large model is still loading, and <c>/readyz</c> says which.
/// </summary>
internal sealed partial class ClassifierHost : IGuardClassifier, IHostedService, IDisposable
{
    private const string CheckName = "classifier";

    /// <summary>The <c>/readyz</c> field of the classifier check that names the variant prompts are built for.</summary>
    internal const string VariantFact = "variant";

    private readonly ClassifierSettings _settings;
    private readonly GatewayReadiness _readiness;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ClassifierHost> _logger;
    private readonly IHostEnvironment _environment;
    private readonly GuardModelVariant? _configuredVariant;
    private volatile LlamaGuardClassifier? _classifier;
    private volatile string _unavailableReason = "The classifier is still loading its model.";
    private Thread? _loader;

    public ClassifierHost(GuardrailOptions options, GatewayReadiness readiness, IHostEnvironment environment, ILoggerFactory loggerFactory)
    {
        _settings = options.Classifier;
        _readiness = readiness;
        _environment = environment;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ClassifierHost>();

        // Validated at start-up (GatewayConfigurationValidator): a value that names no variant never gets here.
        _configuredVariant = GuardModelVariant.Find(_settings.Variant);
    }

    /// <summary>The loaded model's name (<c>general.name</c> or the file name), or null before it is loaded.</summary>
    public string? ModelName => _classifier?.ModelName;

    /// <summary>The loaded model's size class (1B, 8B, other), or null before it is loaded.</summary>
    public string? ModelSizeClass => _classifier?.ModelSizeClass;

    /// <summary>
    /// The loaded model's variant (<c>Guardrail:Classifier:Variant</c>, else the file's metadata), which decides the
    /// categories every prompt lists; <see cref="GuardModelVariant.Unknown"/> before a model is loaded.
    /// </summary>
    public GuardModelVariant Variant => _classifier?.Variant ?? GuardModelVariant.Unknown;

    /// <summary>Requests waiting for the classifier.</summary>
    public int QueueDepth => _classifier?.QueueDepth ?? 0;

    /// <summary>Tokens of <paramref name="text"/> in the loaded model's Llama 3 vocabulary, or null before a model is loaded.</summary>
    public int? CountTokens(string text) => _classifier?.CountTokens(text);

    /// <summary>Called as each check leaves the engine's queue for a batch: its tenant (empty for none) and its wait.</summary>
    public Action<string, TimeSpan>? QueueWaitObserver { get; set; }

    /// <summary>Checks waiting for the classifier, per tenant (empty before a model is loaded).</summary>
    public IReadOnlyDictionary<string, int> QueueDepthByTenant => _classifier?.QueueDepthByTenant ?? new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>The engine's counters (batches, tokens prefilled and reused, decode time), or null before a model is loaded.</summary>
    public ClassifierStatistics? Statistics => _classifier?.Statistics;

    /// <summary>A completed task when the model is loaded or failed to load; tests wait on it instead of polling.</summary>
    public Task Loaded => _loadedSource.Task;

    private readonly TaskCompletionSource _loadedSource = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask<GuardVerdict> ClassifyAsync(GuardRequest request, CancellationToken cancellationToken) =>
        _classifier is { } classifier
            ? classifier.ClassifyAsync(request, cancellationToken)
            : ValueTask.FromResult(GuardVerdict.Failed(_unavailableReason));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(_settings.ModelPath))
        {
            _unavailableReason = "No Llama Guard model is configured.";
            _readiness.Report(new ReadinessCheck(
                CheckName,
                Ready: false,
                "No model: set Guardrail:Classifier:ModelPath to a Llama Guard 3 GGUF file. Until then moderated routes fail per policy on_error (closed by default).",
                []));
            _loadedSource.TrySetResult();
            return Task.CompletedTask;
        }

        var path = Path.GetFullPath(_settings.ModelPath, _environment.ContentRootPath);
        _readiness.Report(new ReadinessCheck(CheckName, Ready: false, $"Loading {path}.", []));
        _loader = new Thread(() => Load(path)) { IsBackground = true, Name = "llama-guard-loader" };
        _loader.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _loader?.Join();
        _classifier?.Dispose();
    }

    /// <summary>
    /// The engine's options from <c>Guardrail:Classifier</c>: the one mapping, used to load the model and, at start-up,
    /// by <see cref="Configuration.GatewayConfigurationValidator"/> to run the engine's own validation.
    /// </summary>
    internal static LlamaGuardClassifierOptions OptionsFrom(ClassifierSettings settings, string modelPath) => new()
    {
        ModelPath = modelPath,
        GpuLayers = settings.GpuLayers,
        ContextSize = settings.ContextSize,
        Threads = settings.Threads,
        QueueCapacity = settings.QueueCapacity,
        MaxBatchSequences = settings.MaxBatchSequences,
        ConversationCacheTokens = settings.ConversationCacheTokens,
        ConversationCacheSize = settings.ConversationCacheSize,
        RequestTimeout = settings.RequestTimeout,
        TenantQueueShare = settings.TenantQueueShare,
        TenantWeights = new Dictionary<string, int>(settings.TenantWeights, StringComparer.Ordinal),
        Variant = GuardModelVariant.Find(settings.Variant),
    };

    private void Load(string path)
    {
        try
        {
            var classifier = LlamaGuardClassifier.Load(
                OptionsFrom(_settings, path),
                new NativeRuntimeOptions { UseGpu = _settings.GpuLayers != 0, RequireGpu = _settings.RequireGpu },
                _loggerFactory);
            classifier.QueueWaitObserver = (tenant, wait) => QueueWaitObserver?.Invoke(tenant, wait);
            _classifier = classifier;
            var warnings = VariantWarnings(classifier.DetectedVariant, _configuredVariant);
            foreach (var warning in warnings)
            {
                LogVariantWarning(_logger, warning);
            }

            _readiness.Report(new ReadinessCheck(
                CheckName,
                Ready: true,
                $"{classifier.ModelDescription}; variant {VariantSource(classifier.DetectedVariant, _configuredVariant)}.",
                warnings,
                new Dictionary<string, string>(StringComparer.Ordinal) { [VariantFact] = classifier.Variant.Id }));
        }
        catch (Exception e) when (e is NativeRuntimeException or LlamaCpp.Gguf.GgufFormatException or LlamaCpp.Inference.LlamaInferenceException or IOException or ArgumentException)
        {
            _unavailableReason = "The Llama Guard model failed to load.";
            LogLoadFailed(_logger, path, e.Message);
            _readiness.Report(new ReadinessCheck(CheckName, Ready: false, $"Loading {path} failed: {e.Message}", []));
        }
        finally
        {
            _loadedSource.TrySetResult();
        }
    }

    /// <summary>Where the variant came from, for the readiness detail: the setting, or the metadata and why.</summary>
    internal static string VariantSource(ModelVariantDetection detected, GuardModelVariant? configured) =>
        configured is null ? detected.Describe() : $"{configured.Id} (from Guardrail:Classifier:Variant; the file's metadata says {detected.Describe()})";

    /// <summary>What an operator should look at about the variant: none known, the metadata disagreeing, or the setting contradicting the file.</summary>
    internal static IReadOnlyList<string> VariantWarnings(ModelVariantDetection detected, GuardModelVariant? configured)
    {
        var choices = string.Join(" or ", GuardModelVariant.Known.Select(static variant => variant.Id));
        if (configured is not null)
        {
            return detected.Variant.IsKnown && detected.Variant != configured
                ? [$"Guardrail:Classifier:Variant is {configured.Id}, but the model file's metadata says {detected.Describe()}. Prompts are built for {configured.Id}: check that the setting names the model in the file."]
                : [];
        }

        if (detected.Variant.IsKnown)
        {
            return [];
        }

        var why = detected.IsConflicting
            ? $"its metadata disagrees ({string.Join("; ", detected.Evidence.Select(static signal => $"{signal.Source} says {signal.Variant.Id}"))})"
            : "no metadata names it (general.size_label, a name with the size, a Llama Guard shape or chat template)";
        return [$"The model file does not say which Llama Guard variant it is: {why}. Every category a policy enables is sent, including any this model may never have been trained on (see the policies check). Set Guardrail:Classifier:Variant to {choices}."];
    }

    [LoggerMessage(EventId = GatewayEventIds.ClassifierLoadFailed, Level = LogLevel.Error, Message = "Loading the Llama Guard model {Path} failed: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = GatewayEventIds.ClassifierVariantWarning, Level = LogLevel.Warning, Message = "Classifier: {Warning}")]
    private static partial void LogVariantWarning(ILogger logger, string warning);
}
