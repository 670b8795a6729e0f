using System.Diagnostics.Metrics;
using System.Globalization;
using Guardrail.Gateway.Configuration;
using Guardrail.LlamaCpp.Classification;

namespace Guardrail.Gateway.Classification;

/// <summary>
/// The classifier's health and work, read at scrape time: whether a model is loaded, which one, how full its queue
/// is, and what the engine did (batches and their size, tokens decoded and reused from cached prompt prefixes, time
/// inside llama_decode). The engine counters appear once a model is loaded.
/// </summary>
internal sealed class ClassifierMetrics : IDisposable
{
    public const string MeterName = "Guardrail.Classifier";

    private readonly Meter _meter;

    public ClassifierMetrics(ClassifierHost classifier, GuardrailOptions options, IMeterFactory meterFactory)
    {
        var settings = options.Classifier;
        var gpuLayers = GpuLayersLabel(settings.GpuLayers);
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge(
            "guardrail_classifier_ready",
            () => classifier.ModelName is null ? 0 : 1,
            description: "1 when the Llama Guard model is loaded and classifying, 0 while it loads, failed to load or none is configured.");
        _meter.CreateObservableGauge(
            "guardrail_classifier_queue_depth",
            () => classifier.QueueDepth,
            description: "Classification requests waiting for the classifier's worker.");
        _meter.CreateObservableGauge(
            "guardrail_classifier_tenant_queue_depth",
            () => classifier.QueueDepthByTenant.Select(static pair => new Measurement<int>(pair.Value, new KeyValuePair<string, object?>("tenant", TenantLabel(pair.Key)))),
            description: "Checks waiting for the classifier, by tenant (tenants with none waiting are absent). The queue is drained round robin over tenants.");
        var queueWait = _meter.CreateHistogram<double>(
            "guardrail_classifier_queue_wait_seconds",
            unit: "s",
            description: "Time a check waited in the classifier's queue before its batch started, by tenant.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        classifier.QueueWaitObserver = (tenant, wait) => queueWait.Record(wait.TotalSeconds, new KeyValuePair<string, object?>("tenant", TenantLabel(tenant)));
        _meter.CreateObservableGauge(
            "guardrail_classifier_queue_capacity",
            () => settings.QueueCapacity,
            description: "Requests that may wait for the classifier before new ones are refused (Guardrail:Classifier:QueueCapacity).");
        _meter.CreateObservableGauge(
            "guardrail_classifier_model_info",
            () => classifier.ModelName is { } name
                ? [new Measurement<int>(1, new("model", name), new("variant", classifier.Variant.Id), new("size_class", classifier.ModelSizeClass ?? "other"), new("gpu_layers", gpuLayers))]
                : Array.Empty<Measurement<int>>(),
            description: "The loaded model: its name, Llama Guard variant (llama-guard-3-1b, llama-guard-3-8b, unknown), size class (1B, 8B, other) and the configured GPU layers; absent until a model is loaded.");
        _meter.CreateObservableCounter("guardrail_classifier_batches_total", () => Engine(classifier, s => s.Batches), description: "Batches of checks decoded together.");
        _meter.CreateObservableGauge("guardrail_classifier_batch_size", () => Engine(classifier, s => s.LastBatchSize), description: "Checks in the most recent batch.");
        _meter.CreateObservableCounter("guardrail_classifier_tokens_prefilled_total", () => Engine(classifier, s => s.TokensPrefilled), description: "Prompt tokens decoded (a prompt prefix counts once, when it is first decoded).");
        _meter.CreateObservableCounter("guardrail_classifier_tokens_reused_total", () => Engine(classifier, s => s.TokensReused), description: "Prompt tokens taken from a cached prompt prefix instead of being decoded again.");
        _meter.CreateObservableCounter("guardrail_classifier_decode_seconds_total", () => Engine(classifier, s => s.DecodeTime.TotalSeconds), description: "Wall time spent inside llama_decode.");
    }

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<T>> Engine<T>(ClassifierHost classifier, Func<ClassifierStatistics, T> read)
        where T : struct =>
        classifier.Statistics is { } statistics ? [new Measurement<T>(read(statistics))] : [];

    /// <summary>The tenant label: the caller's tenant (from the configured keys), <c>none</c> for a check without one.</summary>
    private static string TenantLabel(string tenant) => tenant.Length == 0 ? "none" : tenant;

    /// <summary>The configured offload: a layer count, or <c>all</c> for llama.cpp's "every layer" (-1).</summary>
    internal static string GpuLayersLabel(int gpuLayers) =>
        gpuLayers < 0 ? "all" : gpuLayers.ToString(CultureInfo.InvariantCulture);
}
