using System.Diagnostics.Metrics;
using System.Globalization;
using Guardrail.Gateway.Configuration;

namespace Guardrail.Gateway.Classification;

/// <summary>
/// The classifier's health as gauges read at scrape time: whether a model is loaded, which one, and how full its
/// queue is. Batch size and prefix-reuse counters are not here because the engine does not batch or reuse yet; a
/// gauge that always read zero would tell an operator something false.
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
            "guardrail_classifier_queue_capacity",
            () => settings.QueueCapacity,
            description: "Requests that may wait for the classifier before new ones are refused (Guardrail:Classifier:QueueCapacity).");
        _meter.CreateObservableGauge(
            "guardrail_classifier_model_info",
            () => classifier.ModelName is { } name
                ? [new Measurement<int>(1, new("model", name), new("size_class", classifier.ModelSizeClass ?? "other"), new("gpu_layers", gpuLayers))]
                : Array.Empty<Measurement<int>>(),
            description: "The loaded model: its name, size class (1B, 8B, other) and the configured GPU layers; absent until a model is loaded.");
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>The configured offload: a layer count, or <c>all</c> for llama.cpp's "every layer" (-1).</summary>
    internal static string GpuLayersLabel(int gpuLayers) =>
        gpuLayers < 0 ? "all" : gpuLayers.ToString(CultureInfo.InvariantCulture);
}
