using System.Net;
using System.Security.Cryptography;
using Guardrail.Gateway.Redis;
using StackExchange.Redis;

namespace Guardrail.Gateway.Tests.Redis;

/// <summary>The users' Redis settings as StackExchange.Redis's <see cref="ConfigurationOptions"/>.</summary>
public sealed class RedisConnectionOptionsTests
{
    private static RedisConnectionOptions Options(string url)
    {
        Assert.True(RedisEndpoint.TryParse(url, out var endpoint, out var error), error);
        return new RedisConnectionOptions { Endpoint = endpoint!, CommandTimeout = TimeSpan.FromMilliseconds(250), ConnectTimeout = TimeSpan.FromSeconds(3) };
    }

    [Fact]
    public void ToConfigurationOptions_TlsUrlWithAclUser_CarriesEveryPart()
    {
        var options = Options("rediss://cache:p%40ss@redis.internal:6380/4").ToConfigurationOptions();

        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(options.EndPoints));
        Assert.Equal(("redis.internal", 6380), (endpoint.Host, endpoint.Port));
        Assert.Equal("cache", options.User);
        Assert.Equal("p@ss", options.Password);
        Assert.Equal(4, options.DefaultDatabase);
        Assert.True(options.Ssl);
        Assert.Equal("redis.internal", options.SslHost);
        Assert.Equal(250, options.AsyncTimeout);
        Assert.Equal(250, options.SyncTimeout);
        Assert.Equal(3000, options.ConnectTimeout);
        Assert.DoesNotContain("p@ss", options.ToString(includePassword: false), StringComparison.Ordinal);
    }

    [Fact]
    public void ToConfigurationOptions_Always_NeverAbortsStartupAndFailsFastWhileDisconnected()
    {
        var options = Options("redis://secret@localhost").ToConfigurationOptions();

        Assert.False(options.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, options.BacklogPolicy);
        Assert.Equal(string.Empty, options.TieBreaker);
        Assert.Equal(string.Empty, options.ConfigurationChannel);
        Assert.Null(options.User);
        Assert.Equal("secret", options.Password);
        Assert.Equal(0, options.DefaultDatabase);
        Assert.False(options.Ssl);
        Assert.True(options.HeartbeatInterval <= TimeSpan.FromMilliseconds(125), "timeouts are noticed within half a command timeout");
    }

    [Fact]
    public void ToConfigurationOptions_CaFileIsNotACertificate_Throws()
    {
        using var directory = new TempDirectory();
        var path = directory.File("ca.pem");
        File.WriteAllText(path, "not a certificate");

        Assert.ThrowsAny<CryptographicException>(() => (Options("rediss://localhost") with { CaCertificatePath = path }).ToConfigurationOptions());
    }
}
