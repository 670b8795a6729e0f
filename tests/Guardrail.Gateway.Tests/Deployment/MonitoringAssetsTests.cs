using System.Text;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Guardrail.Gateway.Tests.Deployment;

/// <summary>
/// The shipped Prometheus configuration, alert rules and Grafana dashboard, checked by the real promtool. Whether
/// the metrics they name exist is checked against a live gateway in <see cref="MonitoredMetricsTests"/>.
/// </summary>
public sealed class MonitoringAssetsTests
{
    private static readonly string[] Severities = ["critical", "warning"];

    [Fact]
    public async Task PrometheusConfig_AsShipped_PassesPromtoolCheckConfig()
    {
        var (exitCode, output) = await ExternalProcess.RunAsync("promtool", ["check", "config", Path.Combine(MonitoringAssets.PrometheusDirectory, "prometheus.yml")]);

        Assert.True(exitCode == 0, output);
        Assert.Contains("7 rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrometheusConfig_AdminKeyAlternativeUncommented_PassesPromtoolCheckConfig()
    {
        // The commented job is the documented alternative; it must stay valid configuration when an operator uses it.
        var lines = await File.ReadAllLinesAsync(Path.Combine(MonitoringAssets.PrometheusDirectory, "prometheus.yml"));
        var start = Array.FindIndex(lines, l => l.StartsWith("  # - job_name:", StringComparison.Ordinal));
        Assert.True(start >= 0, "prometheus.yml has no commented admin-key job.");
        var job = lines.Skip(start).TakeWhile(l => l.StartsWith("  # ", StringComparison.Ordinal)).Select(l => "  " + l["  # ".Length..]).ToList();
        var work = Directory.CreateTempSubdirectory("guardrail-promconfig-");
        try
        {
            var keyFile = Path.Combine(work.FullName, "admin-key");
            await File.WriteAllTextAsync(keyFile, "admin-key-0123456789abcdef");
            var config = Path.Combine(work.FullName, "prometheus.yml");
            var text = "scrape_configs:\n" + string.Join('\n', job).Replace("/etc/prometheus/guardrail-admin-key", keyFile, StringComparison.Ordinal) + "\n";
            await File.WriteAllTextAsync(config, text);

            var (exitCode, output) = await ExternalProcess.RunAsync("promtool", ["check", "config", config]);

            Assert.True(exitCode == 0, output + "\n--- config ---\n" + text);
            Assert.Contains("credentials_file", text, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Alerts_AsShipped_PassPromtoolCheckRules()
    {
        var (exitCode, output) = await ExternalProcess.RunAsync("promtool", ["check", "rules", MonitoringAssets.AlertsFile]);

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task Alerts_UnitTests_PassPromtoolTestRulesFromTheRepositoryRoot()
    {
        var (exitCode, output) = await ExternalProcess.RunAsync("promtool", ["test", "rules", "deploy/prometheus/alerts.test.yml"], workingDirectory: RepositoryRoot.Path);

        Assert.True(exitCode == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Alerts_EachAlert_HasForSeverityAnnotationsAndARunbook()
    {
        var rules = AlertRules();

        Assert.Equal(
            ["GuardrailAuditWriteErrors", "GuardrailClassifierLatencyHigh", "GuardrailClassifierQueueSaturated", "GuardrailClassifierUnavailable", "GuardrailFailOpen", "GuardrailPolicyReloadFailed", "GuardrailUpstreamErrors"],
            rules.Select(r => r["alert"].ToString()).Order(StringComparer.Ordinal));
        foreach (var rule in rules)
        {
            var name = rule["alert"].ToString();
            Assert.True(rule.Children.ContainsKey("for"), $"{name} has no 'for'.");
            Assert.Contains(((YamlMappingNode)rule["labels"])["severity"].ToString(), Severities);
            var annotations = (YamlMappingNode)rule["annotations"];
            foreach (var key in new[] { "summary", "description", "runbook" })
            {
                Assert.True(annotations.Children.TryGetValue(key, out var value) && value.ToString().Length > 0, $"{name} has no {key} annotation.");
            }

            Assert.StartsWith($"docs/operations.md#{name.ToLowerInvariant()}", annotations["runbook"].ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Alerts_Runbooks_NameSectionsOfTheOperationsGuide()
    {
        var guide = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "docs", "operations.md"));

        foreach (var rule in AlertRules())
        {
            Assert.Contains($"### {rule["alert"]}\n", guide, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AlertUnitTests_EachAlert_HasAFiringAndASilentCase()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(MonitoringAssets.PrometheusDirectory, "alerts.test.yml")))
        {
            yaml.Load(reader);
        }

        var cases = ((YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["tests"])
            .Cast<YamlMappingNode>()
            .SelectMany(t => ((YamlSequenceNode)t["alert_rule_test"]).Cast<YamlMappingNode>())
            .Select(c => (Alert: c["alertname"].ToString(), Fires: ((YamlSequenceNode)c["exp_alerts"]).Children.Count > 0))
            .ToList();

        foreach (var rule in AlertRules())
        {
            var name = rule["alert"].ToString();
            Assert.True(cases.Contains((name, true)), $"alerts.test.yml never expects {name} to fire.");
            Assert.True(cases.Contains((name, false)), $"alerts.test.yml never expects {name} to stay silent.");
        }
    }

    [Fact]
    public async Task Dashboard_EveryQuery_IsValidPromQl()
    {
        // promtool has no "check expression"; a recording rule per query makes it parse each one.
        var expressions = MonitoringAssets.DashboardExpressions().Where(e => e.Source.StartsWith("panel", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(expressions);
        var rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (var i = 0; i < expressions.Count; i++)
        {
            rules.Append("      - record: dashboard:query").Append(i).Append('\n')
                .Append("        expr: ").Append(JsonSerializer.Serialize(MonitoringAssets.SubstituteGrafanaVariables(expressions[i].Expression))).Append('\n');
        }

        var file = Path.Combine(Path.GetTempPath(), $"guardrail-dashboard-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(file, rules.ToString());
        try
        {
            var (exitCode, output) = await ExternalProcess.RunAsync("promtool", ["check", "rules", file]);

            Assert.True(exitCode == 0, output + "\n" + string.Join('\n', expressions.Select((e, i) => $"query{i}: {e.Source}")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Dashboard_EveryPanel_UsesThePrometheusDatasourceInput()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(MonitoringAssets.DashboardFile));
        var root = document.RootElement;

        Assert.Contains(root.GetProperty("__inputs").EnumerateArray(), i => i.GetProperty("name").GetString() == "DS_PROMETHEUS" && i.GetProperty("pluginId").GetString() == "prometheus");
        foreach (var panel in root.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row"))
        {
            var title = panel.GetProperty("title").GetString();
            Assert.True(panel.GetProperty("datasource").GetProperty("uid").GetString() == "${DS_PROMETHEUS}", $"Panel '{title}' does not use ${{DS_PROMETHEUS}}.");
            Assert.True(panel.GetProperty("targets").GetArrayLength() > 0, $"Panel '{title}' has no query.");
        }
    }

    private static List<YamlMappingNode> AlertRules()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(MonitoringAssets.AlertsFile))
        {
            yaml.Load(reader);
        }

        return [.. ((YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"])
            .Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())];
    }
}
