using Guardrail.Gateway.Caching;

namespace Guardrail.Gateway.Tests.Caching;

[Collection(RedisCollection.Name)]
public sealed class RedisAuthTests
{
    [Fact]
    public async Task Connect_RequirePass_AuthenticatesWithThePassword()
    {
        await using var server = await RedisServerProcess.StartAsync("requirepass s3cr%t");
        await using var client = RedisTestClients.Create(server.Url(":s3cr%25t"));
        await using var anonymous = RedisTestClients.Create(server.Url());
        await using var wrong = RedisTestClients.Create(server.Url(":nope"));

        await client.SetAsync("auth:key", "v"u8.ToArray(), null, CancellationToken.None);

        Assert.Equal("v"u8.ToArray(), await client.GetAsync("auth:key", CancellationToken.None));
        var noAuth = await Assert.ThrowsAsync<RedisServerException>(() => anonymous.PingAsync(CancellationToken.None));
        Assert.Contains("NOAUTH", noAuth.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RedisServerException>(() => wrong.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Connect_AclUser_AuthenticatesAsThatUserWithItsPermissions()
    {
        await using var server = await RedisServerProcess.StartAsync("user default off\nuser cache on >cache-pw ~guardrail:* +@all");
        await using var client = RedisTestClients.Create(server.Url("cache:cache-pw"));
        await using var wrongUser = RedisTestClients.Create(server.Url("other:cache-pw"));

        await client.SetAsync("guardrail:acl", "v"u8.ToArray(), null, CancellationToken.None);

        Assert.Equal("v"u8.ToArray(), await client.GetAsync("guardrail:acl", CancellationToken.None));
        var denied = await Assert.ThrowsAsync<RedisServerException>(() => client.GetAsync("elsewhere", CancellationToken.None));
        Assert.StartsWith("NOPERM", denied.Message, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<RedisServerException>(() => wrongUser.PingAsync(CancellationToken.None));
        Assert.Contains("WRONGPASS", refused.Message, StringComparison.Ordinal);
    }
}
