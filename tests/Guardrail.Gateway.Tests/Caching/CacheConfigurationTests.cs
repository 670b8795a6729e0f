using Guardrail.Caching;
using Guardrail.Gateway.Caching;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Moderation;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Guardrail.Gateway.Tests.Caching;

/// <summary>The <c>Guardrail:Cache</c> section: validation at start-up and which cache it wires in.</summary>
public sealed class CacheConfigurationTests
{
    private static readonly Uri Backend = new("http://127.0.0.1:8080/");

    public static TheoryData<string, string, string> InvalidSettings => new()
    {
        { "Guardrail:Cache:TtlSeconds", "0", "Guardrail:Cache:TtlSeconds is 0: set a number of seconds from 1 to 2592000" },
        { "Guardrail:Cache:MaxEntries", "-1", "Guardrail:Cache:MaxEntries is -1" },
        { "Guardrail:Cache:RedisTimeoutMilliseconds", "0", "Guardrail:Cache:RedisTimeoutMilliseconds is 0" },
        { "Guardrail:Cache:BreakMilliseconds", "5", "Guardrail:Cache:BreakMilliseconds is 5" },
        { "Guardrail:Cache:Redis", "http://pass@cache:6379", "Guardrail:Cache:Redis is not a Redis URL: the scheme 'http'" },
        { "Guardrail:Cache:RedisCaCertificatePath", "ca.pem", "Guardrail:Cache:RedisCaCertificatePath is set but Guardrail:Cache:Redis is not" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task Start_InvalidCacheSetting_FailsNamingTheKey(string key, string value, string expectedMessage)
    {
        var settings = GatewayServer.ConfigurationFor(Backend);
        settings[key] = value;

        var error = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(settings));

        Assert.Contains(error.Errors, e => e.Contains(expectedMessage, StringComparison.Ordinal));
        Assert.DoesNotContain(error.Errors, e => e.Contains("pass@", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_Defaults_UseTheInMemoryCache()
    {
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(Backend));

        Assert.NotNull(gateway.Services.GetService<VerdictCaching>());
        Assert.Null(gateway.Services.GetService<IConnectionMultiplexer>());
    }

    [Fact]
    public async Task Start_CaCertificateUnreadable_FailsNamingTheKey()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("ca.pem"), "not a certificate");
        var settings = GatewayServer.ConfigurationFor(Backend);
        settings["Guardrail:Cache:Redis"] = "rediss://127.0.0.1:6380";
        settings["Guardrail:Cache:RedisCaCertificatePath"] = directory.File("ca.pem");

        var error = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(settings));

        Assert.Contains(error.Errors, e => e.StartsWith("Guardrail:Cache:RedisCaCertificatePath", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_RedisUnreachable_StartsWithoutWaitingForIt()
    {
        // Nothing listens on the port: start-up neither fails nor waits, and requests still get answers.
        var settings = GatewayServer.ConfigurationFor(Backend);
        settings["Guardrail:Cache:Redis"] = $"redis://127.0.0.1:{FreePort.Next()}";

        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();
        using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(gateway.Services.GetService<VerdictCaching>());
        Assert.False(gateway.Services.GetRequiredService<IConnectionMultiplexer>().IsConnected);
    }

    [Fact]
    public async Task Start_CacheDisabled_PipelineRunsWithoutCache()
    {
        var settings = GatewayServer.ConfigurationFor(Backend);
        settings["Guardrail:Cache:Enabled"] = "false";

        await using var gateway = await GatewayServer.StartAsync(settings);

        Assert.Null(gateway.Services.GetService<VerdictCaching>());
        Assert.NotNull(gateway.Services.GetService<ModerationPipeline>());
    }

    [Fact]
    public void ClassifierModelIdentity_NamesFileSizeAndContext()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, new byte[1234]);

            var identity = VerdictCacheServiceCollectionExtensions.ClassifierModelIdentity(new ClassifierSettings { ModelPath = file, ContextSize = 4096 }, "/");

            Assert.Equal($"llama-guard:{Path.GetFileName(file)}:1234:ctx4096", identity);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
