using Guardrail.Audit.Querying;
using Guardrail.Audit.Storage;
using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;
using Npgsql;

namespace Guardrail.Audit.Tests;

/// <summary>The contract on a real PostgreSQL server (the run's shared one, a fresh database per test), and what
/// only a shared server has: replicas that migrate, write, read and purge the same database at once.</summary>
public sealed class PostgresAuditStoreTests : AuditStoreContract
{
    private string _connectionString = "";

    protected override AuditStoreOptions DatabaseOptions => new() { ConnectionString = _connectionString };

    public override async Task InitializeAsync()
    {
        var server = await PostgresServer.SharedAsync();
        _connectionString = await server.CreateDatabaseAsync();
    }

    [Fact]
    public async Task OpenAsync_TenReplicasAtOnce_MigrateOnceAndAllOpen()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => OpenStoreAsync())));
        try
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT version FROM guardrail_audit_schema ORDER BY version;", connection);
            var versions = new List<int>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    versions.Add(reader.GetInt32(0));
                }
            }

            Assert.Equal(Enumerable.Range(1, PostgresSchema.CurrentVersion), versions);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task WriteAsync_ThreeReplicas_EachListsEveryReplicasDecisions()
    {
        await using var first = await OpenStoreAsync();
        await using var second = await OpenStoreAsync();
        await using var third = await OpenStoreAsync();
        AuditStore[] replicas = [first, second, third];
        var ids = new AuditIdGenerator(TimeProvider.System);
        var written = new List<string>();
        var writes = new List<Task>();
        for (var i = 0; i < 300; i++)
        {
            var record = AuditRecords.Simple(ids: ids);
            written.Add(record.Id);
            writes.Add(replicas[i % 3].WriteAsync(record, AuditDurability.Full, CancellationToken.None).AsTask());
        }

        await Task.WhenAll(writes);

        foreach (var replica in replicas)
        {
            var page = await replica.QueryAsync(new AuditQuery { Limit = AuditQuery.MaxLimit, Order = AuditSortOrder.OldestFirst }, CancellationToken.None);
            Assert.Equal(300, page.TotalCount);
            Assert.Equal(written.Order(StringComparer.Ordinal), page.Records.Select(r => r.Id));
        }
    }

    [Fact]
    public async Task PurgeAsync_AnotherReplicaHoldsThePurgeLock_DeletesNothingUntilItIsReleased()
    {
        var now = AuditRecords.Epoch.AddDays(30);
        var clock = new FakeTimeProvider(now);
        await using var store = await OpenStoreAsync(o => o with { RetentionDays = 1 }, clock);
        await StoreFactory.WriteAllAsync(store, [AuditRecords.Simple(time: now.AddDays(-2)), AuditRecords.Simple(time: now)]);
        await using var other = new NpgsqlConnection(_connectionString);
        await other.OpenAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({PostgresSchema.LockClass}, {PostgresSchema.PurgeLock});", other))
        {
            await take.ExecuteScalarAsync();
        }

        Assert.Equal(0, await store.PurgeAsync(CancellationToken.None));
        Assert.Equal(2, (await store.QueryAsync(new AuditQuery(), CancellationToken.None)).TotalCount);

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({PostgresSchema.LockClass}, {PostgresSchema.PurgeLock});", other))
        {
            await release.ExecuteScalarAsync();
        }

        Assert.Equal(1, await store.PurgeAsync(CancellationToken.None));
        Assert.Equal(1, (await store.QueryAsync(new AuditQuery(), CancellationToken.None)).TotalCount);
    }

    [Fact]
    public async Task OpenAsync_PostgresUrl_OpensTheSameDatabase()
    {
        var keywords = new NpgsqlConnectionStringBuilder(_connectionString);
        var record = AuditRecords.Simple();
        await using (var store = await OpenStoreAsync())
        {
            await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
        }

        await using var byUrl = await OpenStoreAsync(o => o with
        {
            ConnectionString = $"postgres://{keywords.Username}@{keywords.Host}:{keywords.Port}/{keywords.Database}?sslmode=disable",
        });

        Assert.NotNull(await byUrl.GetAsync(record.Id, CancellationToken.None));
        Assert.Equal($"postgres://{keywords.Host}:{keywords.Port}/{keywords.Database}", byUrl.Location);
    }

    [Theory]
    [InlineData("postgres://user:hunter2@/guardrail")]
    [InlineData("Host=db;Pasword=hunter2")]
    [InlineData("Database=guardrail;Password=hunter2")]
    public void Validate_UnusableConnectionString_NamesTheKeyNeverThePassword(string value)
    {
        var errors = new AuditStoreOptions { ConnectionString = value }.Validate();

        var error = Assert.Single(errors);
        Assert.StartsWith("Guardrail:Audit:ConnectionString ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_ServerStoppedThenStarted_FailsLoudlyWhileDownAndRecoversWithNothingLost()
    {
        await using var server = await PostgresServer.CreateAsync();
        var options = TestOptions(o => o with { ConnectionString = server.ConnectionString("postgres"), BusyTimeout = TimeSpan.FromSeconds(5) });
        await using var store = await AuditStore.OpenAsync(options);
        var before = AuditRecords.Simple();
        await store.WriteAsync(before, AuditDurability.Full, CancellationToken.None);

        await server.StopAsync();
        var whileDown = AuditRecords.Simple();
        var failure = await Assert.ThrowsAsync<AuditWriteException>(
            () => store.WriteAsync(whileDown, AuditDurability.Full, CancellationToken.None).AsTask());
        Assert.Contains(whileDown.Id, failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.GetWriterStats().WriteErrors);

        await server.StartAsync();
        var after = AuditRecords.Simple();
        await store.WriteAsync(after, AuditDurability.Full, CancellationToken.None);

        Assert.NotNull(await store.GetAsync(before.Id, CancellationToken.None));
        Assert.NotNull(await store.GetAsync(after.Id, CancellationToken.None));
        Assert.Null(await store.GetAsync(whileDown.Id, CancellationToken.None));
    }
}
