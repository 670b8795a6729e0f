using System.Net;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Health;

public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_NoConfiguration_IsNotReadyAndSaysWhatIsMissing()
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

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("not_ready", json.RootElement.GetProperty("status").GetString());
            var checks = json.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
            Assert.Equal("ready", checks["configuration"].GetProperty("status").GetString());
            Assert.Equal("ready", checks["policies"].GetProperty("status").GetString());
            Assert.Equal("not_ready", checks["classifier"].GetProperty("status").GetString());
            Assert.Contains("Guardrail:Classifier:ModelPath", checks["classifier"].GetProperty("detail").GetString(), StringComparison.Ordinal);
            var check = checks["configuration"];
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

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("/v1/responses", """{"model":"m","input":"hi"}""")]
    public async Task DefaultRoutes_ModerateChatAndTheResponsesApi(string path, string body)
    {
        // No classifier is configured: a moderated route fails closed before forwarding, a pass-through route would not.
        await using var backend = await TestBackend.StartAsync();
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>
        {
            ["Guardrail:DefaultBackend"] = backend.BaseAddress.ToString(),
            ["Guardrail:Auth:AllowAnonymous"] = "true",
        });
        using var client = gateway.CreateClient(key: null);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(backend.Requests);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("classifier_unavailable", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }
}
