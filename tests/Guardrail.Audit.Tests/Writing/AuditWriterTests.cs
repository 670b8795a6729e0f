using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Guardrail.Audit.Querying;
using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;

namespace Guardrail.Audit.Tests.Writing;

public sealed class AuditWriterTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task WriteAsync_ManyConcurrentProducers_AllRecordsCommittedWithUniqueOrderedIds()
    {
        const int Producers = 16;
        const int PerProducer = 250;
        var ids = new AuditIdGenerator(TimeProvider.System);
        var generated = new ConcurrentBag<string[]>();
        AuditWriterStatsSnapshot stats;
        await using (var store = await StoreFactory.OpenAsync(_directory, o => o with { MaxBatchSize = 64, QueueCapacity = 256 }))
        {
            await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
            {
                var mine = new string[PerProducer];
                for (var i = 0; i < PerProducer; i++)
                {
                    var record = AuditRecords.Simple(tenant: $"tenant-{p}", ids: ids);
                    mine[i] = record.Id;
                    // Mix the two durabilities, as the gateway does (blocked decisions are Full).
                    await store.WriteAsync(record, i % 3 == 0 ? AuditDurability.Full : AuditDurability.Normal, CancellationToken.None);
                }

                generated.Add(mine);
            })));
            var s = store.GetWriterStats();
            stats = new AuditWriterStatsSnapshot(s.LargestBatch, s.Batches);
        }

        await using var reopened = await StoreFactory.OpenAsync(_directory);
        var stored = new List<string>();
        var query = new AuditQuery { Limit = AuditQuery.MaxLimit, Order = AuditSortOrder.OldestFirst };
        while (true)
        {
            var page = await reopened.QueryAsync(query, CancellationToken.None);
            stored.AddRange(page.Records.Select(r => r.Id));
            if (page.NextCursor is null)
            {
                break;
            }

            query = query with { After = page.NextCursor };
        }

        Assert.Equal(Producers * PerProducer, stored.Count);
        Assert.Equal(stored.Count, stored.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(generated.SelectMany(g => g).Order(StringComparer.Ordinal), stored);
        // Each producer's ids were generated in sequence, so they must be strictly increasing.
        Assert.All(generated, g => Assert.True(g.SequenceEqual(g.Order(StringComparer.Ordinal)), "ids of one producer out of order"));
        // Group commit: concurrent producers share transactions.
        Assert.True(stats.LargestBatch > 1, $"largest batch {stats.LargestBatch}");
        Assert.True(stats.Batches < Producers * PerProducer, $"{stats.Batches} batches");
    }

    [Fact]
    public async Task WriteAsync_FullDurability_RecordVisibleToAnotherConnectionWhenTheCallReturns()
    {
        await using var store = await StoreFactory.OpenAsync(_directory);
        for (var i = 0; i < 20; i++)
        {
            var record = AuditRecords.Simple();

            await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);

            Assert.Equal(1L, CountWithRawConnection(store.DatabasePath, record.Id));
        }
    }

    [Fact]
    public async Task WriteAsync_QueueFullForWholeTimeout_ThrowsQueueFullAndCounts()
    {
        var clock = new FakeTimeProvider(AuditRecords.Epoch);
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        await using var store = await StoreFactory.OpenAsync(_directory,
            o => o with { QueueCapacity = 4, MaxBatchSize = 1, EnqueueTimeout = TimeSpan.FromSeconds(5) }, clock, loggerFactory: loggerFactory);
        using var blocker = OpenRaw(store.DatabasePath);
        var accepted = 0;
        using (var lockTransaction = blocker.BeginTransaction())
        {
            var pending = FillUntilWriteWaits(store, ref accepted);
            var second = store.WriteAsync(AuditRecords.Simple(), AuditDurability.Normal, CancellationToken.None).AsTask();

            Assert.Equal(2, store.GetWriterStats().QueueFullEvents);
            clock.Advance(TimeSpan.FromSeconds(4));
            Assert.False(pending.IsCompleted);
            clock.Advance(TimeSpan.FromSeconds(1));
            var error = await Assert.ThrowsAsync<AuditQueueFullException>(() => pending.WaitAsync(TimeSpan.FromMinutes(2)));
            await Assert.ThrowsAsync<AuditQueueFullException>(() => second.WaitAsync(TimeSpan.FromMinutes(2)));
            Assert.Contains("stayed full", error.Message, StringComparison.Ordinal);
            Assert.Equal(2, store.GetWriterStats().Rejected);
            // Every rejection is logged with its record; the overload itself once, not per waiting producer.
            Assert.Equal(2, logs.Collector.GetSnapshot().Count(e => e.Id.Id == 7004));
            Assert.Equal(1, logs.Collector.GetSnapshot().Count(e => e.Id.Id == 7003));
            lockTransaction.Rollback();
        }

        // Everything that was accepted is still written once the disk frees up.
        await store.DisposeAsync();
        await using var reopened = await StoreFactory.OpenAsync(_directory);
        Assert.Equal(accepted, (await reopened.QueryAsync(new AuditQuery(), CancellationToken.None)).TotalCount);
    }

    [Fact]
    public async Task WriteAsync_BestEffortWhileQueueHalfFull_DropsAtOnceAndCounts()
    {
        await using var store = await StoreFactory.OpenAsync(_directory,
            o => o with { QueueCapacity = 4, MaxBatchSize = 1, EnqueueTimeout = TimeSpan.FromMinutes(5) });
        using var blocker = OpenRaw(store.DatabasePath);
        var accepted = 0;
        var refused = AuditRecords.Refused();
        Task pending;
        using (var lockTransaction = blocker.BeginTransaction())
        {
            pending = FillUntilWriteWaits(store, ref accepted);
            var bestEffort = store.WriteAsync(refused, AuditDurability.BestEffort, CancellationToken.None);

            // It neither waits for room nor takes the room a waiting decision needs.
            Assert.True(bestEffort.IsCompletedSuccessfully);
            Assert.Equal(1, store.GetWriterStats().Dropped);
            lockTransaction.Rollback();
        }

        // Closing flushes the queue: everything queued is committed, the dropped record is not there.
        await pending.WaitAsync(TimeSpan.FromMinutes(2));
        await store.DisposeAsync();
        await using var reopened = await StoreFactory.OpenAsync(_directory);
        Assert.Null(await reopened.GetAsync(refused.Id, CancellationToken.None));
        Assert.Equal(accepted + 1, (await reopened.QueryAsync(new AuditQuery(), CancellationToken.None)).TotalCount);
    }

    [Fact]
    public async Task WriteAsync_BestEffortWithRoom_IsWritten()
    {
        var refused = AuditRecords.Refused();
        await using (var store = await StoreFactory.OpenAsync(_directory))
        {
            await store.WriteAsync(refused, AuditDurability.BestEffort, CancellationToken.None);
            Assert.Equal(0, store.GetWriterStats().Dropped);
        }

        await using var reopened = await StoreFactory.OpenAsync(_directory);
        Assert.NotNull(await reopened.GetAsync(refused.Id, CancellationToken.None));
    }

    [Fact]
    public async Task WriteAsync_QueueFullThenDrains_WaitingProducerSucceeds()
    {
        var clock = new FakeTimeProvider(AuditRecords.Epoch);
        await using var store = await StoreFactory.OpenAsync(_directory,
            o => o with { QueueCapacity = 2, MaxBatchSize = 1, EnqueueTimeout = TimeSpan.FromSeconds(5) }, clock);
        using var blocker = OpenRaw(store.DatabasePath);
        var accepted = 0;
        Task pending;
        using (var lockTransaction = blocker.BeginTransaction())
        {
            pending = FillUntilWriteWaits(store, ref accepted);
            lockTransaction.Rollback();
        }

        await pending.WaitAsync(TimeSpan.FromMinutes(2));
        await store.DisposeAsync();

        var stats = store.GetWriterStats();
        Assert.Equal(0, stats.Rejected);
        Assert.Equal(accepted + 1, stats.RecordsWritten);
    }

    [Fact]
    public async Task WriteAsync_DuplicateId_FullWriteFailsAndOthersInTheBatchSurvive()
    {
        await using var store = await StoreFactory.OpenAsync(_directory);
        var first = AuditRecords.Simple();
        await store.WriteAsync(first, AuditDurability.Full, CancellationToken.None);
        using var blocker = OpenRaw(store.DatabasePath);
        Task duplicate;
        Task neighbour;
        var other = AuditRecords.Simple();
        using (var lockTransaction = blocker.BeginTransaction())
        {
            // Held back by the lock behind a first record, the two land in one batch.
            PlugWriter(store);
            duplicate = store.WriteAsync(first with { Tenant = "copy" }, AuditDurability.Full, CancellationToken.None).AsTask();
            neighbour = store.WriteAsync(other, AuditDurability.Full, CancellationToken.None).AsTask();
            lockTransaction.Rollback();
        }

        await Assert.ThrowsAsync<AuditWriteException>(() => duplicate.WaitAsync(TimeSpan.FromMinutes(2)));
        await neighbour.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1L, CountWithRawConnection(store.DatabasePath, other.Id));
        Assert.Equal(1, store.GetWriterStats().WriteErrors);
    }

    [Fact]
    public async Task WriteAsync_LockedPastBusyTimeoutThenFreed_WaitsRetriesAndCommits()
    {
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        await using var store = await StoreFactory.OpenAsync(_directory, o => o with { BusyTimeout = TimeSpan.FromSeconds(1) }, loggerFactory: loggerFactory);
        var record = AuditRecords.Simple();
        using var blocker = OpenRaw(store.DatabasePath);
        Task write;
        using (var lockTransaction = blocker.BeginTransaction())
        {
            write = store.WriteAsync(record, AuditDurability.Full, CancellationToken.None).AsTask();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!logs.Collector.GetSnapshot().Any(e => e.Id.Id == 7008))
            {
                Assert.True(DateTime.UtcNow < deadline, "the writer never reported a retry");
                await Task.Delay(20);
            }

            // A full-durability write completes only after its commit, which the lock still prevents.
            Assert.False(write.IsCompleted);

            lockTransaction.Rollback();
        }

        await write.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1L, CountWithRawConnection(store.DatabasePath, record.Id));
        Assert.Equal(0, store.GetWriterStats().WriteErrors);
    }

    [Fact]
    public async Task WriteAsync_LockedThroughEveryRetry_FailsLoudlyAndTheWriterLivesOn()
    {
        using var logs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        await using var store = await StoreFactory.OpenAsync(_directory, o => o with { BusyTimeout = TimeSpan.FromSeconds(1) }, loggerFactory: loggerFactory);
        var lost = AuditRecords.Simple();
        using var blocker = OpenRaw(store.DatabasePath);
        using (blocker.BeginTransaction())
        {
            var error = await Assert.ThrowsAsync<AuditWriteException>(
                () => store.WriteAsync(lost, AuditDurability.Full, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains(lost.Id, error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(1, store.GetWriterStats().WriteErrors);
        Assert.Contains(logs.Collector.GetSnapshot(), e => e.Id.Id == 7002 && e.Message.Contains(lost.Id, StringComparison.Ordinal));
        var next = AuditRecords.Simple();
        await store.WriteAsync(next, AuditDurability.Full, CancellationToken.None);
        Assert.Equal(1L, CountWithRawConnection(store.DatabasePath, next.Id));
    }

    [Fact]
    public async Task Metrics_Writes_PublishedOnTheGuardrailAuditMeter()
    {
        await using var store = await StoreFactory.OpenAsync(_directory);
        var measurements = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, store.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => measurements.AddOrUpdate(i.Name, v, (_, old) => old + v));
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => measurements.AddOrUpdate(i.Name, v, (_, old) => old + v));
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => measurements.AddOrUpdate(i.Name, 1, (_, old) => old + 1));
        listener.Start();

        await store.WriteAsync(AuditRecords.Simple(), AuditDurability.Full, CancellationToken.None);
        await store.WriteAsync(AuditRecords.Simple(), AuditDurability.Full, CancellationToken.None);
        listener.RecordObservableInstruments();

        Assert.Equal("Guardrail.Audit", store.Meter.Name);
        Assert.Equal(AuditStore.MeterName, store.Meter.Name);
        Assert.Equal(2, measurements["guardrail_audit_records_written_total"]);
        Assert.Equal(2, measurements["guardrail_audit_batch_size"]);
        Assert.Equal(2, measurements["guardrail_audit_commit_duration_seconds"]);
        Assert.Equal(0, measurements["guardrail_audit_queue_depth"]);
    }

    /// <summary>Writes Normal records until one has to wait for room; returns that write. Call with the database
    /// locked, so the writer holds its first batch and takes no more.</summary>
    private static Task FillUntilWriteWaits(AuditStore store, ref int accepted)
    {
        PlugWriter(store);
        accepted++;
        for (var i = 0; i < 1_000; i++)
        {
            var write = store.WriteAsync(AuditRecords.Simple(), AuditDurability.Normal, CancellationToken.None);
            if (!write.IsCompleted)
            {
                return write.AsTask();
            }

            write.GetAwaiter().GetResult();
            accepted++;
        }

        throw new InvalidOperationException("The queue never filled.");
    }

    /// <summary>Queues one record and waits until the writer has taken it (and is stuck on the lock with it).</summary>
    private static void PlugWriter(AuditStore store)
    {
        store.WriteAsync(AuditRecords.Simple(), AuditDurability.Normal, CancellationToken.None).GetAwaiter().GetResult();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (store.GetWriterStats().QueueDepth > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the writer never took the first record");
            Thread.Yield();
        }
    }

    private static SqliteConnection OpenRaw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static long CountWithRawConnection(string path, string id)
    {
        using var connection = OpenRaw(path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM decisions WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return (long)command.ExecuteScalar()!;
    }

    private sealed record AuditWriterStatsSnapshot(int LargestBatch, long Batches);
}
