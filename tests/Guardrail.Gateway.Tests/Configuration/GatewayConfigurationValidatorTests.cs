using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Configuration;

public sealed class GatewayConfigurationValidatorTests
{
    private static readonly Uri Backend = new("http://127.0.0.1:8080/");

    public static TheoryData<string, string?, string> InvalidSettings => new()
    {
        { "ReverseProxy:Routes:openai:ClusterId", "nope", "ReverseProxy:Routes:openai:ClusterId 'nope' names no cluster" },
        { "ReverseProxy:Clusters:llm:Destinations:main:Address", "not a url", "ReverseProxy:Clusters:llm:Destinations:main:Address 'not a url' is not an absolute http or https address" },
        { "ReverseProxy:Clusters:llm:Destinations:main:Address", "ftp://127.0.0.1/", "is not an absolute http or https address" },
        { "Guardrail:Auth:Keys:0:Tenant", null, "Guardrail:Auth:Keys:0:Tenant is missing" },
        { "Guardrail:Auth:Keys:0:Key", "short", "Guardrail:Auth:Keys:0:Key is shorter than 16 characters" },
        { "Guardrail:Auth:Keys:0:KeyHash", "sha256:abc", "Guardrail:Auth:Keys:0 needs exactly one of Key" },
        { "Guardrail:Upstreams:elsewhere:ApiKey", "sk-1", "Guardrail:Upstreams:elsewhere names no cluster" },
        { "Guardrail:Limits:MaxRequestBodyBytes", "0", "Guardrail:Limits:MaxRequestBodyBytes is 0" },
        { "Guardrail:Limits:MaxRequestBodyBytes", "lots", "Guardrail:Limits:MaxRequestBodyBytes" },
        { "Guardrail:Auth:Kyes:0:Key", "typo-in-section-name", "Kyes" },
        { "Guardrail:Classifier:Variant", "llama-guard-2-8b", "Guardrail:Classifier:Variant 'llama-guard-2-8b' is not a Llama Guard variant: use one of llama-guard-3-1b, llama-guard-3-8b" },
        { "Guardrail:LocalBackend:ModelPath", "/nonexistent/llama-3.gguf", "Guardrail:LocalBackend:ModelPath '/nonexistent/llama-3.gguf' does not exist" },
    };

    public static TheoryData<string, string> InvalidLocalBackendSettings => new()
    {
        { "Guardrail:LocalBackend:Parallel", "0" },
        { "Guardrail:LocalBackend:ContextSize", "-1" },
        { "Guardrail:LocalBackend:QueueCapacity", "0" },
        { "Guardrail:LocalBackend:Threads", "-2" },
    };

    [Theory]
    [MemberData(nameof(InvalidLocalBackendSettings))]
    public async Task Start_InvalidLocalBackendValue_FailsNamingTheKey(string key, string value)
    {
        var settings = GatewayServer.ConfigurationFor(Backend);
        settings["Guardrail:LocalBackend:ModelPath"] = Guardrail.Testing.TestAssets.ScriptedGenerator.Path;
        settings[key] = value;

        var error = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(settings));

        Assert.Contains(error.Errors, e => e.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_OwnClusterNamedLocalWithTheBuiltInBackend_FailsSayingWhy()
    {
        var settings = GatewayServer.ConfigurationFor(Backend);
        settings["Guardrail:LocalBackend:ModelPath"] = Guardrail.Testing.TestAssets.ScriptedGenerator.Path;
        settings["ReverseProxy:Clusters:local:Destinations:main:Address"] = "http://127.0.0.1:9000/";

        var error = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(settings));

        Assert.Contains(error.Errors, e => e.Contains("ReverseProxy:Clusters:local is the built-in backend's cluster", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task Start_InvalidSetting_FailsNamingTheKey(string key, string? value, string expectedMessage)
    {
        var settings = GatewayServer.ConfigurationFor(Backend);
        settings[key] = value;

        var error = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(settings));

        Assert.Contains(error.Errors, e => e.Contains(expectedMessage, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_NoKeysAndAnonymousOff_FailsWithHowToFix()
    {
        var settings = GatewayServer.ConfigurationFor(Backend);
        foreach (var name in settings.Keys.Where(k => k.StartsWith("Guardrail:Auth:Keys", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(name);
        }

        var error = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(settings));

        var message = Assert.Single(error.Errors);
        Assert.Contains("Guardrail:Auth:Keys is empty", message, StringComparison.Ordinal);
        Assert.Contains("Guardrail:Auth:AllowAnonymous", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SeveralErrors_ReportsEveryOne()
    {
        var settings = GatewayServer.ConfigurationFor(Backend);
        settings["ReverseProxy:Routes:openai:ClusterId"] = "missing";
        settings["ReverseProxy:Clusters:llm:Destinations:main:Address"] = "127.0.0.1:8080";
        settings["Guardrail:Limits:MaxRequestBodyBytes"] = "0";
        settings["Guardrail:Auth:Keys:1:Id"] = "team-a-key";

        var error = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(settings));

        Assert.Contains(error.Errors, e => e.Contains("names no cluster", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("not an absolute http or https address", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("Guardrail:Limits:MaxRequestBodyBytes is 0", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("Guardrail:Auth:Keys:1:Id 'team-a-key' is used by another key", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("Guardrail:Auth:Keys:1:Tenant is missing", StringComparison.Ordinal));
        Assert.Contains($"{error.Errors.Count} configuration error(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_HashCookieAffinity_IsAcceptedAndSetsTheAffinityCookie()
    {
        // YARP's HashCookie policy hashes with System.IO.Hashing, which a plain PackageReference now brings along.
        await using var backend = await TestBackend.StartAsync();
        var settings = GatewayServer.ConfigurationFor(backend.BaseAddress);
        settings["ReverseProxy:Clusters:llm:SessionAffinity:Enabled"] = "true";
        settings["ReverseProxy:Clusters:llm:SessionAffinity:Policy"] = "HashCookie";
        settings["ReverseProxy:Clusters:llm:SessionAffinity:AffinityKeyName"] = "guardrail-affinity";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));

        Assert.True(response.Headers.TryGetValues("Set-Cookie", out var cookies), "the proxied response sets the affinity cookie");
        Assert.Contains(cookies, static c => c.StartsWith("guardrail-affinity=", StringComparison.Ordinal));
    }
}
