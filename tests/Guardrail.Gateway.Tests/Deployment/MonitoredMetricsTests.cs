using System.Globalization;
using System.Net;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Deployment;

/// <summary>
/// The shipped alert rules and dashboard against what a real gateway exports: every metric name their PromQL uses
/// must be a sample name in the gateway's <c>/metrics</c> output (histogram <c>_bucket</c>, <c>_sum</c> and
/// <c>_count</c> lines included), so a renamed or misspelt metric fails here instead of in an operator's empty graph.
/// </summary>
public sealed class MonitoredMetricsTests : IClassFixture<MonitoredGatewayFixture>
{
    private readonly MonitoredGatewayFixture _fixture;

    public MonitoredMetricsTests(MonitoredGatewayFixture fixture) => _fixture = fixture;

    [Fact]
    public void Traffic_ServedEveryKindOfRequest()
    {
        var statuses = _fixture.Statuses;

        Assert.Equal(HttpStatusCode.OK, statuses["safe"]);
        Assert.Equal(HttpStatusCode.BadRequest, statuses["blocked"]);
        Assert.Equal(HttpStatusCode.OK, statuses["flagged"]);
        Assert.Equal(HttpStatusCode.OK, statuses["shadow"]);
        Assert.Equal(HttpStatusCode.OK, statuses["fail_open"]);
        Assert.Equal(HttpStatusCode.OK, statuses["stream_cut"]);
        Assert.Equal(HttpStatusCode.Unauthorized, statuses["unauthenticated"]);
        Assert.Equal(HttpStatusCode.BadGateway, statuses["dead_upstream"]);
        Assert.NotEqual(HttpStatusCode.OK, statuses["fail_closed"]);
    }

    [Fact]
    public void Exposition_CountsTheDecisionsFailuresCutsAndTheClassifier()
    {
        var samples = Samples(_fixture.Exposition);

        Assert.True(samples["guardrail_decisions_total{action=\"allow\",direction=\"prompt\",policy=\"default\"}"] >= 1);
        Assert.Equal(1, samples["guardrail_decisions_total{action=\"block\",direction=\"prompt\",policy=\"default\"}"]);
        Assert.Equal(1, samples["guardrail_decisions_total{action=\"flag\",direction=\"prompt\",policy=\"flag-test\"}"]);
        Assert.True(samples["guardrail_shadow_disagreements_total{policy=\"shadowed-test\"}"] >= 1);
        Assert.Equal(1, samples["guardrail_classifier_failures_total{result=\"fail_open\"}"]);
        Assert.Equal(1, samples["guardrail_classifier_failures_total{result=\"fail_closed\"}"]);
        Assert.Equal(1, samples["guardrail_stream_cuts_total{policy=\"default\"}"]);
        Assert.Equal(1, samples["guardrail_classifier_ready"]);
        Assert.Equal(0, samples["guardrail_classifier_queue_depth"]);
        Assert.Equal(256, samples["guardrail_classifier_queue_capacity"]);
        var model = Assert.Single(samples.Keys, k => k.StartsWith("guardrail_classifier_model_info{", StringComparison.Ordinal));
        Assert.Contains("gpu_layers=\"0\"", model, StringComparison.Ordinal);
        Assert.Contains("size_class=\"other\"", model, StringComparison.Ordinal);
        Assert.Equal(0, samples["guardrail_policy_reloads_total{result=\"rejected\"}"]);
        Assert.Equal(0, samples["guardrail_audit_write_errors_total"]);
        Assert.True(samples.ContainsKey("guardrail_audit_queue_depth"));
        Assert.True(samples.ContainsKey("guardrail_audit_records_written_total"));
    }

    [Fact]
    public async Task Exposition_PassesPromtoolCheckMetrics()
    {
        var (exitCode, output) = await ExternalProcess.RunAsync("promtool", ["check", "metrics"], _fixture.Exposition);

        Assert.True(exitCode == 0, $"promtool check metrics failed:\n{output}");
    }

    [Fact]
    public void AlertRules_EveryMetricTheyName_IsExported()
    {
        AssertAllExported(MonitoringAssets.AlertExpressions());
    }

    [Fact]
    public void Dashboard_EveryMetricItsQueriesName_IsExported()
    {
        AssertAllExported(MonitoringAssets.DashboardExpressions());
    }

    [Fact]
    public async Task Prometheus_WithTheShippedConfigAndRules_ScrapesTheDecisionsFromTheManagementListener()
    {
        var work = Directory.CreateTempSubdirectory("guardrail-prometheus-shipped-");
        var config = (await File.ReadAllTextAsync(Path.Combine(MonitoringAssets.PrometheusDirectory, "prometheus.yml")))
            .Replace("- guardrail:9464", $"- {_fixture.ManagementAddress}", StringComparison.Ordinal)
            .Replace("_interval: 15s", "_interval: 1s", StringComparison.Ordinal);
        Assert.Contains(_fixture.ManagementAddress, config, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(work.FullName, "prometheus.yml"), config);
        File.Copy(MonitoringAssets.AlertsFile, Path.Combine(work.FullName, "alerts.yml"));
        await using (var prometheus = PrometheusServer.Start(Path.Combine(work.FullName, "prometheus.yml"), work.FullName))
        {
            var query = "guardrail_decisions_total{job=\"guardrail\",action=\"block\",direction=\"prompt\",policy=\"default\"}";
            string? blocked = null;
            var rulesHealthy = false;
            await prometheus.WaitUntilAsync(async () =>
            {
                blocked = await prometheus.QuerySingleValueAsync(query);
                rulesHealthy = await RulesHealthyAsync(prometheus);
                return blocked is not null && rulesHealthy;
            });

            Assert.True(blocked is not null, "Prometheus never returned the decisions series. Its log:\n" + prometheus.Log);
            Assert.Equal(1, double.Parse(blocked!, CultureInfo.InvariantCulture));
            Assert.True(rulesHealthy, "The shipped rules did not all evaluate healthily. Prometheus log:\n" + prometheus.Log);
        }

        work.Delete(recursive: true);
    }

    private static async Task<bool> RulesHealthyAsync(PrometheusServer prometheus)
    {
        try
        {
            using var rules = JsonDocument.Parse(await prometheus.Api.GetStringAsync(new Uri("/api/v1/rules", UriKind.Relative)));
            var loaded = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
            return loaded.Count == 7 && loaded.All(r => r.GetProperty("health").GetString() == "ok");
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private void AssertAllExported(IReadOnlyList<PromQlExpression> expressions)
    {
        var exported = Samples(_fixture.Exposition).Keys.Select(NameOf).ToHashSet(StringComparer.Ordinal);
        var referenced = expressions.SelectMany(e => PromQlMetricNames.Extract(e.Expression).Select(name => (e.Source, Name: name))).ToList();

        Assert.NotEmpty(referenced);
        var missing = referenced.Where(r => !exported.Contains(r.Name)).Select(r => $"{r.Source}: {r.Name}").ToList();
        Assert.True(missing.Count == 0, "Not in the gateway's /metrics output:\n" + string.Join('\n', missing));
    }

    /// <summary>Sample lines by series (name plus label set), comments skipped.</summary>
    private static Dictionary<string, double> Samples(string exposition) =>
        exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => (Series: line[..line.LastIndexOf(' ')], Value: line[(line.LastIndexOf(' ') + 1)..]))
            .ToDictionary(s => s.Series, s => double.Parse(s.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);

    private static string NameOf(string series) => series.IndexOf('{', StringComparison.Ordinal) is var brace and >= 0 ? series[..brace] : series;
}
