using Guardrail.Gateway.Caching;
using Microsoft.Extensions.Caching.Distributed;

namespace Guardrail.Gateway.Tests.Caching;

[Collection(RedisCollection.Name)]
public sealed class RedisDistributedCacheTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly RedisServerProcess _server = fixture.Server;

    [Fact]
    public async Task SetAsync_GetAsync_RemoveAsync_WorkUnderThePrefix()
    {
        await using var client = RedisTestClients.Create(_server.Url());
        IDistributedCache cache = new RedisDistributedCache(client, "test:", TimeProvider.System);

        await cache.SetAsync("a", [1, 0, 13, 10, 255], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });

        Assert.Equal([1, 0, 13, 10, 255], await cache.GetAsync("a"));
        Assert.Equal([1, 0, 13, 10, 255], await client.GetAsync("test:a", CancellationToken.None));
        Assert.InRange(await client.TimeToLiveAsync("test:a", CancellationToken.None), 1, 60_000);
        await cache.RemoveAsync("a");
        Assert.Null(await cache.GetAsync("a"));
    }

    [Fact]
    public async Task SetAsync_AbsoluteExpirationInThePast_StoresNothing()
    {
        await using var client = RedisTestClients.Create(_server.Url());
        IDistributedCache cache = new RedisDistributedCache(client, "test:", TimeProvider.System);
        await cache.SetAsync("old", [1], new DistributedCacheEntryOptions());

        await cache.SetAsync("old", [2], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddMinutes(-1) });

        Assert.Null(await cache.GetAsync("old"));
    }

    [Fact]
    public async Task SetAsync_SlidingExpiration_IsRefused()
    {
        await using var client = RedisTestClients.Create(_server.Url());
        IDistributedCache cache = new RedisDistributedCache(client, "test:", TimeProvider.System);

        await Assert.ThrowsAsync<NotSupportedException>(() => cache.SetAsync("s", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }));
    }
}
