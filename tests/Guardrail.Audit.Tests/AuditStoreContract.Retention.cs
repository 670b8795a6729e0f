using Guardrail.Audit.Querying;
using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Policies;

namespace Guardrail.Audit.Tests;

public abstract partial class AuditStoreContract
{
    [Fact]
    public async Task BackgroundPurge_ClockPassesInterval_DeletesRecordsOlderThanRetention()
    {
        var now = AuditRecords.Epoch.AddDays(30);
        var clock = new FakeTimeProvider(now);
        await using var store = await OpenStoreAsync(
            o => o with { RetentionDays = 7, PurgeInterval = TimeSpan.FromHours(1) }, clock);
        var old = AuditRecords.Simple(time: now.AddDays(-8), content: "old secret words");
        var edge = AuditRecords.Simple(time: now.AddDays(-7).AddMinutes(90));
        var fresh = AuditRecords.Simple(time: now.AddDays(-1));
        await StoreFactory.WriteAllAsync(store, [old, edge, fresh]);

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, store.GetWriterStats().RecordsPurged);
        clock.Advance(TimeSpan.FromMinutes(1));
        await WaitForAsync(() => store.GetWriterStats().RecordsPurged == 1);

        Assert.Null(await store.GetAsync(old.Id, CancellationToken.None));
        Assert.NotNull(await store.GetAsync(edge.Id, CancellationToken.None));
        Assert.Empty((await store.QueryAsync(new AuditQuery { Search = "secret" }, CancellationToken.None)).Records);

        // An hour later the edge record, 90 minutes younger than the cut-off at the first run, has aged past it.
        clock.Advance(TimeSpan.FromHours(1));
        await WaitForAsync(() => store.GetWriterStats().RecordsPurged == 2);
        Assert.Null(await store.GetAsync(edge.Id, CancellationToken.None));
        Assert.NotNull(await store.GetAsync(fresh.Id, CancellationToken.None));
    }

    [Fact]
    public async Task PurgeAsync_ManyOldRecords_DeletesAllInChunksWithTheirCategories()
    {
        var now = AuditRecords.Epoch.AddDays(30);
        var clock = new FakeTimeProvider(now);
        await using var store = await OpenStoreAsync(o => o with { RetentionDays = 1 }, clock);
        var ids = new AuditIdGenerator(TimeProvider.System);
        for (var i = 0; i < 4_500; i++)
        {
            await store.WriteAsync(AuditRecords.Simple(time: now.AddDays(-2), verdict: GuardOutcome.Unsafe,
                action: ModerationAction.Block, categories: ["S1"], ids: ids), AuditDurability.Normal, CancellationToken.None);
        }

        await store.WriteAsync(AuditRecords.Simple(time: now, ids: ids), AuditDurability.Full, CancellationToken.None);

        Assert.Equal(4_500, await store.PurgeAsync(CancellationToken.None));
        var stats = await store.GetStatsAsync(new AuditQuery(), CancellationToken.None);
        Assert.Equal(1, stats.Total);
        Assert.Empty(stats.ByCategory);
    }

    [Fact]
    public async Task PurgeAsync_RetentionZero_KeepsEverything()
    {
        var clock = new FakeTimeProvider(AuditRecords.Epoch.AddYears(5));
        await using var store = await OpenStoreAsync(timeProvider: clock);
        await store.WriteAsync(AuditRecords.Simple(), AuditDurability.Full, CancellationToken.None);

        Assert.Equal(0, await store.PurgeAsync(CancellationToken.None));
        Assert.Equal(1, (await store.QueryAsync(new AuditQuery(), CancellationToken.None)).TotalCount);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        // The purge runs on a pool thread after the fake timer fires; wait for it, bounded.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
