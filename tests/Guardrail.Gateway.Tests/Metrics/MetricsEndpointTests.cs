using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Guardrail.Gateway.Tests.Infrastructure;

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
        Assert.Contains("dotnet_gc_collections_total{generation=\"0\"} ", text, StringComparison.Ordinal);

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
