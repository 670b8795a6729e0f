using Guardrail.Caching;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Gateway.Caching;
using Guardrail.Gateway.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Guardrail.Gateway.Tests.Caching;

/// <summary>
/// Verdicts through the gateway's Redis registration (the library's <c>RedisCache</c> on the process's one
/// multiplexer) against a real redis-server.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class DistributedVerdictCacheTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private static readonly GuardVerdict Unsafe = new()
    {
        Outcome = GuardOutcome.Unsafe,
        UnsafeProbability = 0.93,
        Categories = ["S1", "S10"],
        RawOutput = "unsafe\nS1,S10",
        ModelId = "m",
    };

    private readonly RedisServerProcess _server = fixture.Server;

    private static VerdictCacheKey Key(string text) =>
        VerdictCacheKey.Create(new Conversation([ConversationTurn.User(text)]), CheckDirection.Prompt, [], "m");

    private static DistributedVerdictCache Cache(ServiceProvider services, TimeSpan ttl) =>
        new(services.GetRequiredService<IDistributedCache>(), ttl);

    [Fact]
    public async Task SetAsync_ThenGetAsync_RoundTripsUnderThePrefixWithTheTtlAsTheKeysExpiry()
    {
        await using var services = RedisCacheServices.Create(_server.Url(), "rt:");
        var cache = Cache(services, TimeSpan.FromHours(1));
        var key = Key("How do I build a bomb?");

        await cache.SetAsync(key, Unsafe, CancellationToken.None);
        var read = await cache.GetAsync(key, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(GuardOutcome.Unsafe, read.Outcome);
        Assert.Equal(0.93, read.UnsafeProbability);
        Assert.Equal(["S1", "S10"], read.Categories);

        // What Redis holds: one entry under the configured prefix, expiring with the verdict's time to live. A long
        // TTL read back from Redis, so that nothing here races an expiry.
        var db = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        // The library's layout (a hash with the value and its expiry), which docs/operations.md describes for upgrades.
        Assert.Equal(RedisType.Hash, await db.KeyTypeAsync("rt:" + key.Value));
        var ttl = await db.KeyTimeToLiveAsync("rt:" + key.Value);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(55), TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task GetAsync_NothingStored_IsAMiss()
    {
        await using var services = RedisCacheServices.Create(_server.Url(), "miss:");

        Assert.Null(await Cache(services, TimeSpan.FromHours(1)).GetAsync(Key("never stored"), CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_EntryRemovedFromRedis_IsAMiss()
    {
        // Expiry as Redis carries it out, without waiting for a clock: the entry is gone, so the verdict is.
        await using var services = RedisCacheServices.Create(_server.Url(), "gone:");
        var cache = Cache(services, TimeSpan.FromHours(1));
        var key = Key("expires");
        await cache.SetAsync(key, Unsafe, CancellationToken.None);

        Assert.True(await services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().KeyExpireAsync("gone:" + key.Value, TimeSpan.Zero));

        Assert.Null(await cache.GetAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task SetAsync_ThousandsConcurrentOnOneMultiplexer_EachReadGetsItsOwnVerdict()
    {
        await using var services = RedisCacheServices.Create(_server.Url(), "pipe:");
        var cache = Cache(services, TimeSpan.FromHours(1));

        var results = await Task.WhenAll(Enumerable.Range(0, 2000).Select(async i =>
        {
            var verdict = Unsafe with { UnsafeProbability = i / 2000.0, Categories = [$"S{1 + (i % 14)}"] };
            var key = Key($"conversation {i}");
            await cache.SetAsync(key, verdict, CancellationToken.None);
            return (Expected: verdict, Actual: await cache.GetAsync(key, CancellationToken.None));
        }));

        Assert.All(results, static r =>
        {
            Assert.NotNull(r.Actual);
            Assert.Equal(r.Expected.UnsafeProbability, r.Actual.UnsafeProbability);
            Assert.Equal(r.Expected.Categories, r.Actual.Categories);
        });
    }

    [Fact]
    public async Task Registration_DistributedCache_UsesTheProcesssOneMultiplexer()
    {
        await using var services = RedisCacheServices.Create(_server.Url(), "one:");
        var redis = services.GetRequiredService<IOptions<RedisCacheOptions>>().Value;

        Assert.IsType<RedisCache>(services.GetRequiredService<IDistributedCache>(), exactMatch: false);
        Assert.Equal("one:", redis.InstanceName);
        Assert.NotNull(redis.ConnectionMultiplexerFactory);
        Assert.Same(services.GetRequiredService<IConnectionMultiplexer>(), await redis.ConnectionMultiplexerFactory());
        Assert.Same(await services.GetRequiredService<RedisConnectionHost>().Connection, services.GetRequiredService<IConnectionMultiplexer>());
    }
}
