using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Metrics;

/// <summary>The classifier gauges on a gateway with no model; the loaded case is checked in Deployment/MonitoredMetricsTests.</summary>
public sealed class ClassifierMetricsTests
{
    [Fact]
    public async Task Gauges_NoModelConfigured_ReportNotReadyTheCapacityAndNoModelInfo()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = GatewayServer.ConfigurationFor(backend.BaseAddress);
        settings["Guardrail:Classifier:QueueCapacity"] = "17";
        await using var gateway = await GatewayServer.StartAsync(settings);

        var text = await MetricsEndpointTests.ScrapeAsync(gateway, GatewayServer.AdminKey);

        Assert.Contains("# TYPE guardrail_classifier_ready gauge\nguardrail_classifier_ready 0\n", text, StringComparison.Ordinal);
        Assert.Contains("guardrail_classifier_queue_depth 0\n", text, StringComparison.Ordinal);
        Assert.Contains("guardrail_classifier_queue_capacity 17\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("guardrail_classifier_model_info", text, StringComparison.Ordinal);
        Assert.Contains("guardrail_classifier_failures_total{result=\"fail_open\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("guardrail_classifier_failures_total{result=\"fail_closed\"} 0\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1, "all")]
    [InlineData(0, "0")]
    [InlineData(33, "33")]
    public void GpuLayersLabel_ConfiguredValue_IsALayerCountOrAll(int configured, string expected)
    {
        Assert.Equal(expected, ClassifierMetrics.GpuLayersLabel(configured));
    }
}
