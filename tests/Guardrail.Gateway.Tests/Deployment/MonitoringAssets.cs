using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Guardrail.Gateway.Tests.Deployment;

/// <summary>A PromQL expression from a shipped monitoring file, with where it came from for failure messages.</summary>
internal sealed record PromQlExpression(string Source, string Expression);

/// <summary>The PromQL that <c>deploy/prometheus</c> and <c>deploy/grafana</c> ship.</summary>
internal static class MonitoringAssets
{
    public static string PrometheusDirectory => Path.Combine(RepositoryRoot.Path, "deploy", "prometheus");

    public static string AlertsFile => Path.Combine(PrometheusDirectory, "alerts.yml");

    public static string DashboardFile => Path.Combine(RepositoryRoot.Path, "deploy", "grafana", "guardrail-dashboard.json");

    /// <summary>Every rule's <c>expr</c> in alerts.yml, by alert name.</summary>
    public static IReadOnlyList<PromQlExpression> AlertExpressions()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(AlertsFile))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var expressions = new List<PromQlExpression>();
        foreach (var group in ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>())
        {
            foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            {
                var name = rule.Children.TryGetValue("alert", out var alert) ? alert.ToString() : rule["record"].ToString();
                expressions.Add(new PromQlExpression($"alert {name}", rule["expr"].ToString()));
            }
        }

        return expressions;
    }

    /// <summary>Every panel target's <c>expr</c> (rows' nested panels included) and every query variable's query.</summary>
    public static IReadOnlyList<PromQlExpression> DashboardExpressions()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var expressions = new List<PromQlExpression>();
        CollectPanels(document.RootElement.GetProperty("panels"), expressions);
        if (document.RootElement.TryGetProperty("templating", out var templating))
        {
            foreach (var variable in templating.GetProperty("list").EnumerateArray())
            {
                if (variable.GetProperty("type").GetString() == "query")
                {
                    var query = variable.GetProperty("query");
                    var text = query.ValueKind == JsonValueKind.String ? query.GetString()! : query.GetProperty("query").GetString()!;
                    expressions.Add(new PromQlExpression($"variable {variable.GetProperty("name").GetString()}", text));
                }
            }
        }

        return expressions;
    }

    /// <summary>The dashboard expression as Prometheus would receive it: Grafana's variables replaced by values.</summary>
    public static string SubstituteGrafanaVariables(string expression) => expression
        .Replace("$__rate_interval", "5m", StringComparison.Ordinal)
        .Replace("$__interval", "1m", StringComparison.Ordinal)
        .Replace("$__range", "1h", StringComparison.Ordinal)
        .Replace("$job", ".*", StringComparison.Ordinal)
        .Replace("$instance", ".*", StringComparison.Ordinal);

    private static void CollectPanels(JsonElement panels, List<PromQlExpression> expressions)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            var title = panel.TryGetProperty("title", out var t) ? t.GetString() : "(untitled)";
            if (panel.TryGetProperty("targets", out var targets))
            {
                foreach (var target in targets.EnumerateArray())
                {
                    expressions.Add(new PromQlExpression($"panel '{title}' target {target.GetProperty("refId").GetString()}", target.GetProperty("expr").GetString()!));
                }
            }

            if (panel.TryGetProperty("panels", out var nested))
            {
                CollectPanels(nested, expressions);
            }
        }
    }
}
