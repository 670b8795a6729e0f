using System.Net;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Health;

public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_NoProxyConfiguration_ReportsTheDefaultBackendAndHowToChangeIt()
    {
        var directory = Directory.CreateTempSubdirectory("guardrail-readyz-");
        try
        {
            await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
            {
                ["Guardrail:Auth:DevelopmentKeyFile"] = Path.Combine(directory.FullName, "dev-key"),
            });
            using var client = gateway.CreateClient(key: null);

            using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("ready", json.RootElement.GetProperty("status").GetString());
            var check = Assert.Single(json.RootElement.GetProperty("checks").EnumerateArray());
            Assert.Equal("configuration", check.GetProperty("name").GetString());
            var warnings = check.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
            Assert.Contains(warnings, w => w.Contains("http://127.0.0.1:8080", StringComparison.Ordinal) && w.Contains("ReverseProxy:Routes", StringComparison.Ordinal));
            Assert.Contains(warnings, w => w.Contains("development key", StringComparison.Ordinal) && w.Contains("Guardrail:Auth:Keys", StringComparison.Ordinal));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Readyz_DefaultBackendSetting_RoutesToIt()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["Guardrail:DefaultBackend"] = backend.BaseAddress.ToString(),
            ["Guardrail:Auth:AllowAnonymous"] = "true",
        });
        using var client = gateway.CreateClient(key: null);

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/v1/models", Assert.Single(backend.Requests).Path);
    }
}
