using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Policies;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Metrics;

public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private const string AdminKey = "admin-key-0123456789abcdef";
    private TestBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await TestBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task Metrics_AfterSafeUnauthorizedAndFailedRequests_PassPromtoolAndCountThem()
    {
        var settings = Settings();
        settings["ReverseProxy:Routes:dead:ClusterId"] = "dead";
        settings["ReverseProxy:Routes:dead:Match:Path"] = "/dead/{**path}";
        settings["ReverseProxy:Clusters:dead:Destinations:main:Address"] = $"http://127.0.0.1:{FreePort.Next()}/";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();
        using var anonymous = gateway.CreateClient(key: null);

        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync(new Uri("/v1/models", UriKind.Relative))).Dispose();
        }

        (await anonymous.GetAsync(new Uri("/v1/models", UriKind.Relative))).Dispose();
        (await client.GetAsync(new Uri("/dead/x", UriKind.Relative))).Dispose();

        var text = await ScrapeAsync(gateway, AdminKey);

        Assert.Contains("guardrail_http_requests_total{method=\"GET\",route=\"openai\",status_class=\"2xx\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("guardrail_http_requests_total{method=\"GET\",route=\"openai\",status_class=\"4xx\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("guardrail_auth_failures_total{reason=\"missing_key\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("guardrail_upstream_errors_total{cluster=\"dead\",error=\"Request\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("guardrail_upstream_request_duration_seconds_count{cluster=\"llm\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total ", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_collection_count_total{generation=\"0\"} ", text, StringComparison.Ordinal);
        Assert.Contains("process_working_set_bytes ", text, StringComparison.Ordinal);

        var (exitCode, output) = await ExternalProcess.RunAsync("promtool", ["check", "metrics"], text);
        Assert.True(exitCode == 0, $"promtool check metrics failed:\n{output}\n--- exposition ---\n{text}");
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("admin-key-0123456789abcdeX", HttpStatusCode.Unauthorized)]
    [InlineData(GatewayServer.ClientKey, HttpStatusCode.Forbidden)]
    public async Task Metrics_WithoutAdminKey_IsRefused(string? key, HttpStatusCode expected)
    {
        await using var gateway = await GatewayServer.StartAsync(Settings());
        using var client = gateway.CreateClient(key);

        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        // No key or a wrong one is 401; a client key is a real key that does not open this door: 403.
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Metrics_ManagementUrl_ServedThereWithoutKeyAndNotOnTheMainListener()
    {
        var port = FreePort.Next();
        var settings = Settings();
        settings["Guardrail:Metrics:ManagementUrl"] = $"http://127.0.0.1:{port}";
        await using var gateway = await GatewayServer.StartAsync(settings, mainAddressFilter: a => !a.EndsWith($":{port}", StringComparison.Ordinal));
        using var main = gateway.CreateClient(AdminKey);
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var onMain = await main.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var onManagement = await management.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, onMain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onManagement.StatusCode);
        Assert.Equal("text/plain", onManagement.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE process_cpu_seconds_total counter", await onManagement.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_FreshGateway_ExportsEveryKnownSeriesAtZero()
    {
        await using var gateway = await GatewayServer.StartAsync(Settings());

        var lines = (await ScrapeAsync(gateway, AdminKey)).Split('\n').ToHashSet(StringComparer.Ordinal);

        var policies = gateway.Services.GetRequiredService<PolicyStore>().Current.Policies;
        Assert.NotEmpty(policies);
        foreach (var policy in policies)
        {
            foreach (var direction in (string[])["prompt", "response"])
            {
                foreach (var action in (string[])["allow", "flag", "block"])
                {
                    Assert.Contains($"guardrail_decisions_total{{action=\"{action}\",direction=\"{direction}\",policy=\"{policy.Id}\"}} 0", lines);
                }
            }

            Assert.Contains($"guardrail_stream_cuts_total{{policy=\"{policy.Id}\"}} 0", lines);
            Assert.Contains($"guardrail_shadow_disagreements_total{{policy=\"{policy.Id}\"}} 0", lines);
        }

        Assert.Contains("guardrail_category_hits_total{category=\"S1\",direction=\"prompt\"} 0", lines);
        Assert.Contains("guardrail_category_hits_total{category=\"S1\",direction=\"response\"} 0", lines);
        Assert.Contains("guardrail_classifier_failures_total{result=\"fail_open\"} 0", lines);
        Assert.Contains("guardrail_classifier_failures_total{result=\"fail_closed\"} 0", lines);
        Assert.Contains("guardrail_policy_reloads_total{result=\"rejected\"} 0", lines);
        Assert.Contains("guardrail_cache_hits_total{store=\"memory\"} 0", lines);
        Assert.Contains("guardrail_cache_misses_total{store=\"memory\"} 0", lines);
        Assert.Contains("guardrail_cache_errors_total{operation=\"get\",reason=\"timeout\",store=\"memory\"} 0", lines);
        Assert.Contains("guardrail_upstream_errors_total{cluster=\"llm\",error=\"Request\"} 0", lines);
        Assert.Contains("guardrail_upstream_errors_total{cluster=\"llm\",error=\"RequestTimedOut\"} 0", lines);
        Assert.Contains("guardrail_auth_failures_total{reason=\"missing_key\"} 0", lines);
        Assert.Contains("guardrail_auth_failures_total{reason=\"invalid_key\"} 0", lines);
        Assert.Contains("guardrail_audit_write_errors_total 0", lines);
    }

    [Fact]
    public async Task Metrics_PolicyReloadAddsAPolicy_ItsSeriesAppearAtZero()
    {
        using var policies = new TempDirectory();
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "policies"), "*.yaml"))
        {
            File.Copy(file, policies.File(Path.GetFileName(file)));
        }

        var settings = Settings();
        settings["Guardrail:Policies:Directory"] = policies.Path;
        settings["Guardrail:Policies:Watch"] = "false";
        await using var gateway = await GatewayServer.StartAsync(settings);
        Assert.DoesNotContain("policy=\"late\"", await ScrapeAsync(gateway, AdminKey), StringComparison.Ordinal);

        var permissive = await File.ReadAllTextAsync(policies.File("permissive.yaml"));
        await File.WriteAllTextAsync(policies.File("late.yaml"), permissive.Replace("id: permissive", "id: late", StringComparison.Ordinal));
        var reload = gateway.Services.GetRequiredService<PolicyStore>().Reload();

        Assert.Equal(PolicyReloadStatus.Swapped, reload.Status);
        var lines = (await ScrapeAsync(gateway, AdminKey)).Split('\n');
        Assert.Contains("guardrail_decisions_total{action=\"block\",direction=\"prompt\",policy=\"late\"} 0", lines);
        Assert.Contains("guardrail_stream_cuts_total{policy=\"late\"} 0", lines);
        Assert.Contains("guardrail_decisions_total{action=\"block\",direction=\"prompt\",policy=\"permissive\"} 0", lines);
    }

    [Theory]
    [InlineData("POST", "/v1/chat/completions")]
    [InlineData("POST", "/v1/completions")]
    [InlineData("POST", "/v1/moderations")]
    [InlineData("GET", "/v1/models")]
    [InlineData("GET", "/admin/v1/decisions")]
    [InlineData("GET", "/admin/review")]
    public async Task ManagementListener_AnythingButMetricsAndHealth_Is404InOpenAIShape(string method, string path)
    {
        var port = FreePort.Next();
        var settings = Settings();
        settings["Guardrail:Metrics:ManagementUrl"] = $"http://127.0.0.1:{port}";
        await using var gateway = await GatewayServer.StartAsync(settings, mainAddressFilter: a => !a.EndsWith($":{port}", StringComparison.Ordinal));
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        // Even with every key and a Host header naming the main listener, the socket decides.
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", path.StartsWith("/admin", StringComparison.Ordinal) ? AdminKey : GatewayServer.ClientKey);
        request.Headers.Host = gateway.BaseAddress.Authority;
        if (method == "POST")
        {
            request.Content = new StringContent("""{"model":"llama-3-8b","messages":[{"role":"user","content":"Hello"}]}""", Encoding.UTF8, "application/json");
        }

        using var response = await management.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("unknown_url", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_backend.Requests);
    }

    [Fact]
    public async Task ManagementListener_MetricsAndHealth_AreServedThere()
    {
        var port = FreePort.Next();
        var settings = Settings();
        settings["Guardrail:Metrics:ManagementUrl"] = $"http://127.0.0.1:{port}";
        await using var gateway = await GatewayServer.StartAsync(settings, mainAddressFilter: a => !a.EndsWith($":{port}", StringComparison.Ordinal));
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var main = gateway.CreateClient();

        using var healthz = await management.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var readyz = await management.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var metrics = await management.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var chatOnMain = await main.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.NotEqual(HttpStatusCode.NotFound, readyz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.OK, chatOnMain.StatusCode);
    }

    internal static async Task<string> ScrapeAsync(GatewayServer gateway, string adminKey)
    {
        using var client = gateway.CreateClient(key: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync());
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        settings["Guardrail:Auth:AdminKeys:0:Id"] = "ops";
        settings["Guardrail:Auth:AdminKeys:0:Key"] = AdminKey;
        return settings;
    }
}
