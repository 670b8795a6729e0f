using Guardrail.Gateway.Caching;

namespace Guardrail.Gateway.Tests.Caching;

[Collection(RedisCollection.Name)]
public sealed class RedisTlsTests
{
    [Fact]
    public async Task Connect_Rediss_TrustingTheGivenCa_RoundTrips()
    {
        await using var server = await RedisServerProcess.StartAsync(tls: true);
        await using var client = RedisTestClients.Create(server.Url(), server.CaCertificatePath);

        await client.SetAsync("tls:key", "secure"u8.ToArray(), TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.StartsWith("rediss://", server.Url(), StringComparison.Ordinal);
        Assert.Equal("secure"u8.ToArray(), await client.GetAsync("tls:key", CancellationToken.None));
    }

    [Fact]
    public async Task Connect_Rediss_UntrustedCertificate_Fails()
    {
        await using var server = await RedisServerProcess.StartAsync(tls: true);
        await using var client = RedisTestClients.Create(server.Url());

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync(CancellationToken.None));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(error.InnerException);
    }
}
