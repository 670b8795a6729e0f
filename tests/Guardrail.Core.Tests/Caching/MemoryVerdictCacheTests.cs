using Guardrail.Caching;
using Guardrail.Classification;
using Guardrail.Conversations;

namespace Guardrail.Core.Tests.Caching;

public sealed class MemoryVerdictCacheTests
{
    private static readonly GuardVerdict Safe = new() { Outcome = GuardOutcome.Safe, UnsafeProbability = 0.01, RawOutput = "safe" };

    private static VerdictCacheKey Key(string text) =>
        VerdictCacheKey.Create(new Conversation([ConversationTurn.User(text)]), CheckDirection.Prompt, [], "m");

    [Fact]
    public async Task GetAsync_AfterSet_ReturnsTheVerdict()
    {
        var cache = new MemoryVerdictCache(10, TimeSpan.FromMinutes(1), new FakeTimeProvider());
        await cache.SetAsync(Key("a"), Safe, CancellationToken.None);

        Assert.Same(Safe, await cache.GetAsync(Key("a"), CancellationToken.None));
        Assert.Null(await cache.GetAsync(Key("b"), CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_AfterTimeToLive_IsAMiss()
    {
        var time = new FakeTimeProvider();
        var cache = new MemoryVerdictCache(10, TimeSpan.FromMinutes(1), time);
        await cache.SetAsync(Key("a"), Safe, CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.NotNull(await cache.GetAsync(Key("a"), CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await cache.GetAsync(Key("a"), CancellationToken.None));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task SetAsync_OverCapacity_DropsTheLeastRecentlyUsed()
    {
        var cache = new MemoryVerdictCache(2, TimeSpan.FromMinutes(1), new FakeTimeProvider());
        await cache.SetAsync(Key("a"), Safe, CancellationToken.None);
        await cache.SetAsync(Key("b"), Safe, CancellationToken.None);
        await cache.GetAsync(Key("a"), CancellationToken.None);

        await cache.SetAsync(Key("c"), Safe, CancellationToken.None);

        Assert.Equal(2, cache.Count);
        Assert.NotNull(await cache.GetAsync(Key("a"), CancellationToken.None));
        Assert.Null(await cache.GetAsync(Key("b"), CancellationToken.None));
        Assert.NotNull(await cache.GetAsync(Key("c"), CancellationToken.None));
    }

    [Fact]
    public async Task SetAsync_ErrorVerdict_IsNotStored()
    {
        var cache = new MemoryVerdictCache(2, TimeSpan.FromMinutes(1), new FakeTimeProvider());
        await cache.SetAsync(Key("a"), GuardVerdict.Failed("boom"), CancellationToken.None);

        Assert.Null(await cache.GetAsync(Key("a"), CancellationToken.None));
    }
}
