using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Authentication;

public sealed class GatewayAuthenticationTests : IAsyncLifetime
{
    private TestBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await TestBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer gk-team-a-0123456789abcdeX")]
    [InlineData("Bearer ")]
    [InlineData("Basic Z2stdGVhbS1hOnNlY3JldA==")]
    [InlineData("gk-team-a-0123456789abcdef")]
    public async Task Request_MissingOrWrongKey_Returns401AndBackendSeesNothing(string? authorization)
    {
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(_backend.BaseAddress));
        using var client = gateway.CreateClient(key: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent("{}") };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Empty(_backend.Requests);
    }

    [Fact]
    public async Task Request_ValidKey_BackendReceivesItsOwnKeyNotTheClients()
    {
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(_backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(_backend.Requests);
        Assert.Equal("Bearer " + GatewayServer.BackendKey, seen.Headers["Authorization"]);
        Assert.DoesNotContain(seen.Headers.Values, v => v.Contains(GatewayServer.ClientKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_ClusterWithoutBackendKey_ForwardsNoAuthorization()
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        settings.Remove("Guardrail:Upstreams:llm:ApiKey");
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Assert.Single(_backend.Requests).Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Request_CustomBackendKeyHeader_CarriesTheKeyAsIs()
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        settings["Guardrail:Upstreams:llm:ApiKeyHeader"] = "api-key";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        var seen = Assert.Single(_backend.Requests);
        Assert.Equal(GatewayServer.BackendKey, seen.Headers["api-key"]);
        Assert.False(seen.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Request_KeyConfiguredAsHash_IsAccepted()
    {
        const string key = "gk-hashed-key-for-team-b-42";
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        settings["Guardrail:Auth:Keys:1:Id"] = "team-b-key";
        settings["Guardrail:Auth:Keys:1:Tenant"] = "team-b";
        settings["Guardrail:Auth:Keys:1:KeyHash"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient(key);

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Request_AnonymousAllowed_NoKeyPassesButWrongKeyIsStillRejected()
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        settings["Guardrail:Auth:AllowAnonymous"] = "true";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var anonymous = gateway.CreateClient(key: null);
        using var wrong = gateway.CreateClient("gk-wrong-key-0000000000");

        using var accepted = await anonymous.GetAsync(new Uri("/v1/models", UriKind.Relative));
        using var rejected = await wrong.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        Assert.Single(_backend.Requests);
    }

    [Fact]
    public async Task Request_DevelopmentKeyFile_GeneratesAPrivateKeyThatIsAccepted()
    {
        var directory = Directory.CreateTempSubdirectory("guardrail-devkey-");
        try
        {
            var keyFile = Path.Combine(directory.FullName, "dev-key");
            var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
            foreach (var name in settings.Keys.Where(k => k.StartsWith("Guardrail:Auth:Keys", StringComparison.Ordinal)).ToList())
            {
                settings.Remove(name);
            }

            settings["Guardrail:Auth:DevelopmentKeyFile"] = keyFile;
            await using var gateway = await GatewayServer.StartAsync(settings);
            var key = (await File.ReadAllTextAsync(keyFile)).Trim();
            using var client = gateway.CreateClient(key);

            using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Request_DevelopmentAdminKeyFile_OpensTheAdminApiOnlyAndIsAnnounced()
    {
        var directory = Directory.CreateTempSubdirectory("guardrail-devkey-");
        try
        {
            var keyFile = Path.Combine(directory.FullName, "dev-admin-key");
            var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
            foreach (var name in settings.Keys.Where(k => k.StartsWith("Guardrail:Auth:AdminKeys", StringComparison.Ordinal)).ToList())
            {
                settings.Remove(name);
            }

            settings["Guardrail:Auth:DevelopmentAdminKeyFile"] = keyFile;
            var logs = new FakeLogCollector();
            await using var gateway = await GatewayServer.StartAsync(settings, services: s => s.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)));
            var key = (await File.ReadAllTextAsync(keyFile)).Trim();
            using var admin = gateway.CreateClient(key);

            using var decisions = await admin.GetAsync(new Uri("/admin/v1/decisions", UriKind.Relative));
            using var chat = await admin.GetAsync(new Uri("/v1/models", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, decisions.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, chat.StatusCode);
            Assert.StartsWith("gr-dev-admin-", key, StringComparison.Ordinal);
            var announced = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == GatewayEventIds.DevelopmentAdminKey);
            Assert.Contains(key, announced.Message, StringComparison.Ordinal);
            // The client key is a configured one: it is never written to the log.
            Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == GatewayEventIds.DevelopmentClientKey || r.Message.Contains(GatewayServer.ClientKey, StringComparison.Ordinal));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Health_NoKey_IsServed()
    {
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(_backend.BaseAddress));
        using var client = gateway.CreateClient(key: null);

        using var live = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        // No model is configured here, so the gateway is alive but not ready; either way no key is asked for.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Empty(_backend.Requests);
    }

    [Theory]
    [InlineData("POST", "/v1/chat/completions")]
    [InlineData("POST", "/v1/moderations")]
    [InlineData("GET", "/admin/v1/decisions")]
    [InlineData("GET", "/metrics")]
    public async Task AnyEndpoint_NoKey_GetsTheSame401(string method, string path)
    {
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(_backend.BaseAddress));
        using var client = gateway.CreateClient(key: null);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? new StringContent("{}") : null };

        using var response = await client.SendAsync(request);

        // One authentication handler answers for every endpoint: same status, scheme, code and message.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("You didn't provide an API key. Send your key as 'Authorization: Bearer <key>'.", error.GetProperty("message").GetString());
        Assert.Empty(_backend.Requests);
    }

    [Fact]
    public async Task Request_AdminKeyOnAModelRoute_Is403AndBackendSeesNothing()
    {
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(_backend.BaseAddress));
        using var client = gateway.CreateClient(GatewayServer.AdminKey);

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("client_key_required", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_backend.Requests);
    }

    [Fact]
    public async Task Route_AuthorizationPolicyAdmin_OpensToAdminKeysOnly()
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        settings["ReverseProxy:Routes:ops:ClusterId"] = "llm";
        settings["ReverseProxy:Routes:ops:Match:Path"] = "/ops/{**path}";
        settings["ReverseProxy:Routes:ops:AuthorizationPolicy"] = "admin";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var admin = gateway.CreateClient(GatewayServer.AdminKey);
        using var clientKey = gateway.CreateClient();

        using var asAdmin = await admin.GetAsync(new Uri("/ops/status", UriKind.Relative));
        using var asClient = await clientKey.GetAsync(new Uri("/ops/status", UriKind.Relative));

        // The admin's request reached the backend (which knows no /ops path); the client's never did.
        Assert.Equal("/ops/status", Assert.Single(_backend.Requests).Path);
        Assert.Equal(HttpStatusCode.NotFound, asAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asClient.StatusCode);
    }

    [Fact]
    public async Task Route_AuthorizationPolicyAnonymous_NeedsNoKey()
    {
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        settings["ReverseProxy:Routes:openai:AuthorizationPolicy"] = "anonymous";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient(key: null);

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
