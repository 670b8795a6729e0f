using System.Diagnostics.Metrics;
using System.Text;
using Guardrail.Gateway.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace Guardrail.Gateway.Tests.Metrics;

public sealed class PrometheusMeterBridgeTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();

    private IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

    public void Dispose() => _services.Dispose();

    private async Task<string> ExportAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Export_CountersGaugesAndHistograms_MatchTheGoldenExposition()
    {
        using var bridge = new PrometheusMeterBridge(Factory, _registry);
        var meter = Factory.Create("Guardrail.Test");
        var requests = meter.CreateCounter<long>("guardrail_test_requests_total", description: "Requests by route.");
        var latency = meter.CreateHistogram("guardrail_test_latency_seconds", unit: "s", description: "Latency.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1] });
        meter.CreateObservableGauge("guardrail_test_queue_depth", () => 7, description: "Queue depth.\nSecond line.");
        var unused = meter.CreateCounter<long>("guardrail_test_unused_total");
        var zero = meter.CreateCounter<long>("guardrail_test_failures_total", description: "Failures by result.");

        requests.Add(2, new KeyValuePair<string, object?>("route", "openai"));
        requests.Add(1, new KeyValuePair<string, object?>("route", "odd \"route\"\\\n"));
        latency.Record(0.05);
        latency.Record(0.3);
        latency.Record(3);
        zero.Add(0, new KeyValuePair<string, object?>("result", "fail_open"));

        var text = await ExportAsync();

        var golden = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "testdata", "metrics-golden.txt"));
        if (golden != text)
        {
            // For a reviewer: the whole exposition, to compare with testdata/metrics-golden.txt.
            await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "metrics-golden.actual.txt"), text);
        }

        Assert.Equal(golden, text);
        Assert.NotNull(unused);
    }

    [Fact]
    public async Task Export_LabelsInAnyOrder_AreOneSeriesWithNamesSorted()
    {
        using var bridge = new PrometheusMeterBridge(Factory, _registry);
        var counter = Factory.Create("Guardrail.Test").CreateCounter<long>("guardrail_test_decisions_total");

        counter.Add(1, new("policy", "p"), new("action", "block"));
        counter.Add(2, new("action", "block"), new("policy", "p"));

        Assert.Contains("guardrail_test_decisions_total{action=\"block\",policy=\"p\"} 3\n", await ExportAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_ObservableGaugeStopsReportingASeries_TheSeriesIsGone()
    {
        using var bridge = new PrometheusMeterBridge(Factory, _registry);
        var versions = new List<string> { "v1" };
        Factory.Create("Guardrail.Test").CreateObservableGauge(
            "guardrail_test_info",
            () => versions.Select(static v => new Measurement<int>(1, new KeyValuePair<string, object?>("version", v))));

        var first = await ExportAsync();
        versions[0] = "v2";
        var second = await ExportAsync();

        Assert.Contains("guardrail_test_info{version=\"v1\"} 1\n", first, StringComparison.Ordinal);
        Assert.DoesNotContain("version=\"v1\"", second, StringComparison.Ordinal);
        Assert.Contains("guardrail_test_info{version=\"v2\"} 1\n", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_ObservableCounter_IsACounterThatFollowsItsTotalAndStartsOverWhenItDrops()
    {
        using var bridge = new PrometheusMeterBridge(Factory, _registry);
        long total = 5;
        Factory.Create("Guardrail.Test").CreateObservableCounter("guardrail_test_batches_total", () => total);

        var first = await ExportAsync();
        total = 2;
        var second = await ExportAsync();

        Assert.Contains("# TYPE guardrail_test_batches_total counter\n", first, StringComparison.Ordinal);
        Assert.Contains("guardrail_test_batches_total 5\n", first, StringComparison.Ordinal);
        Assert.Contains("guardrail_test_batches_total 2\n", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_MeterOfAnotherFactory_IsNotExported()
    {
        using var bridge = new PrometheusMeterBridge(Factory, _registry);
        using var otherServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var other = otherServices.GetRequiredService<IMeterFactory>().Create("Guardrail.Test");
        other.CreateCounter<long>("guardrail_other_total").Add(1);

        Assert.DoesNotContain("guardrail_other_total", await ExportAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("guardrail-bad-name_total")]
    [InlineData("guardrail_requests")]
    [InlineData("1guardrail_total")]
    public void Publish_InvalidCounterName_Throws(string name)
    {
        using var bridge = new PrometheusMeterBridge(Factory, _registry);
        var meter = Factory.Create("Guardrail.Test");

        Assert.Throws<InvalidOperationException>(() => meter.CreateCounter<long>(name));
    }
}
