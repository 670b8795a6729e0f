using System.Globalization;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Metrics;

/// <summary>A real Prometheus server scrapes a real gateway, and its query API sees what the gateway counted.</summary>
public sealed class PrometheusScrapeTests
{
    private const string AdminKey = "admin-key-for-prometheus-0001";

    [Fact]
    public async Task Prometheus_ScrapesTheGatewayWithTheAdminKey_QueryReturnsTheRequestCount()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = GatewayServer.ConfigurationFor(backend.BaseAddress);
        settings["Guardrail:Auth:AdminKeys:0:Id"] = "prometheus";
        settings["Guardrail:Auth:AdminKeys:0:Key"] = AdminKey;
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            (await client.GetAsync(new Uri("/v1/models", UriKind.Relative))).Dispose();
        }

        var work = Directory.CreateTempSubdirectory("guardrail-prometheus-");
        var config = Path.Combine(work.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: guardrail
                metrics_path: /metrics
                authorization:
                  credentials: {AdminKey}
                static_configs:
                  - targets: ['{gateway.BaseAddress.Authority}']
            """);

        string? value = null;
        await using (var prometheus = PrometheusServer.Start(config, work.FullName))
        {
            await prometheus.WaitUntilAsync(async () =>
                (value = await prometheus.QuerySingleValueAsync("guardrail_http_requests_total{job=\"guardrail\",route=\"openai\",status_class=\"2xx\"}")) is not null);
            Assert.True(value is not null, "Prometheus never returned the series. Its log:\n" + prometheus.Log);
        }

        work.Delete(recursive: true);
        Assert.Equal(5, double.Parse(value!, CultureInfo.InvariantCulture));
    }
}
