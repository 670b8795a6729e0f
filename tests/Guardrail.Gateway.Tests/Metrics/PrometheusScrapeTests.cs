using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
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
        var port = FreePort.Next();
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

        var start = new ProcessStartInfo(ExternalProcess.Require("prometheus"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(work.FullName, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
            },
        };
        using var prometheus = Process.Start(start)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        prometheus.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? string.Empty);
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var query = Uri.EscapeDataString("guardrail_http_requests_total{job=\"guardrail\",route=\"openai\",status_class=\"2xx\"}");
            string? value = null;

            // Polling has a deadline only so that a broken setup fails instead of hanging; nothing here is timed.
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (value is null && DateTime.UtcNow < deadline && !prometheus.HasExited)
            {
                try
                {
                    using var document = JsonDocument.Parse(await api.GetStringAsync(new Uri($"/api/v1/query?query={query}", UriKind.Relative)));
                    var result = document.RootElement.GetProperty("data").GetProperty("result");
                    if (result.GetArrayLength() == 1)
                    {
                        value = result[0].GetProperty("value")[1].GetString();
                    }
                }
                catch (HttpRequestException)
                {
                    // Prometheus is still starting.
                }

                if (value is null)
                {
                    await Task.Delay(250);
                }
            }

            Assert.True(value is not null, "Prometheus never returned the series. Its log:\n" + string.Join('\n', log));
            Assert.Equal(5, double.Parse(value!, CultureInfo.InvariantCulture));
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            work.Delete(recursive: true);
        }
    }
}
