using System.Diagnostics.Metrics;
using System.Text;
using Guardrail.Gateway.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Metrics;

public sealed class MetricsRegistryTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Collect_CountersGaugesAndHistograms_MatchTheGoldenExposition()
    {
        using var registry = new MetricsRegistry(Factory);
        var meter = Factory.Create("Guardrail.Test");
        var requests = meter.CreateCounter<long>("guardrail_test_requests_total", description: "Requests by route.");
        var latency = meter.CreateHistogram("guardrail_test_latency_seconds", unit: "s", description: "Latency.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1] });
        meter.CreateObservableGauge("guardrail_test_queue_depth", () => 7, description: "Queue depth.\nSecond line.");
        var unused = meter.CreateCounter<long>("guardrail_test_unused_total");

        requests.Add(2, new KeyValuePair<string, object?>("route", "openai"));
        requests.Add(1, new KeyValuePair<string, object?>("route", "odd \"route\"\\\n"));
        latency.Record(0.05);
        latency.Record(0.3);
        latency.Record(3);

        var text = new StringBuilder();
        PrometheusTextFormatter.Write(text, registry.Collect());

        var golden = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "metrics-golden.txt"));
        Assert.Equal(golden, text.ToString());
        Assert.NotNull(unused);
    }

    [Fact]
    public void Collect_MeterOfAnotherFactory_IsNotExported()
    {
        using var registry = new MetricsRegistry(Factory);
        using var otherServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var other = otherServices.GetRequiredService<IMeterFactory>().Create("Guardrail.Test");
        other.CreateCounter<long>("guardrail_other_total").Add(1);

        Assert.DoesNotContain(registry.Collect(), f => f.Name == "guardrail_other_total");
    }

    [Theory]
    [InlineData("guardrail-bad-name_total")]
    [InlineData("guardrail_requests")]
    [InlineData("1guardrail_total")]
    public void Publish_InvalidCounterName_Throws(string name)
    {
        using var registry = new MetricsRegistry(Factory);
        var meter = Factory.Create("Guardrail.Test");

        Assert.Throws<InvalidOperationException>(() => meter.CreateCounter<long>(name));
    }
}
