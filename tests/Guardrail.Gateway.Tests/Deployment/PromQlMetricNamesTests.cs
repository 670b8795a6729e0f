namespace Guardrail.Gateway.Tests.Deployment;

public sealed class PromQlMetricNamesTests
{
    [Theory]
    [InlineData("guardrail_classifier_ready == 0", "guardrail_classifier_ready")]
    [InlineData("sum by (job, instance) (increase(guardrail_classifier_failures_total{result=\"fail_open\"}[10m])) > 0", "guardrail_classifier_failures_total")]
    [InlineData("histogram_quantile(0.99, sum by (direction, le) (rate(guardrail_classification_duration_seconds_bucket{job=~\"$job\"}[$__rate_interval])))", "guardrail_classification_duration_seconds_bucket")]
    [InlineData("max by (job, instance) (guardrail_classifier_queue_depth / guardrail_classifier_queue_capacity) > 0.8", "guardrail_classifier_queue_depth,guardrail_classifier_queue_capacity")]
    [InlineData("a_total / on (instance) group_left (version) b_info offset 5m and bool c", "a_total,b_info,c")]
    [InlineData("rate(x_total[5m:1m]) * 1e3 + 0x1F - inf", "x_total")]
    [InlineData("sum without (le) (y_bucket{le='+Inf'}) unless z", "y_bucket,z")]
    [InlineData("label_values(guardrail_http_requests_total{job=~\"$job\"}, instance)", "guardrail_http_requests_total")]
    [InlineData("vector(1)", "")]
    public void Extract_Expression_ReturnsTheMetricNamesOnly(string expression, string expected)
    {
        var names = PromQlMetricNames.Extract(expression);

        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Extract_MisspeltMetric_IsReportedSoTheExistenceCheckFails()
    {
        var exported = new HashSet<string>(StringComparer.Ordinal) { "guardrail_decisions_total" };

        var names = PromQlMetricNames.Extract("sum by (action) (rate(guardrail_decision_total[5m]))");

        Assert.Equal(["guardrail_decision_total"], names);
        Assert.DoesNotContain(names.Single(), exported);
    }

    [Fact]
    public void Extract_UnbalancedBraces_Throws()
    {
        Assert.Throws<FormatException>(() => PromQlMetricNames.Extract("rate(x_total{job=\"a\"[5m])"));
    }
}
