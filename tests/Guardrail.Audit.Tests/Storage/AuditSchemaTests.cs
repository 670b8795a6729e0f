using Guardrail.Audit.Storage;
using Guardrail.Audit.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace Guardrail.Audit.Tests.Storage;

public sealed class AuditSchemaTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task OpenAsync_NewFile_CreatesCurrentSchemaInWalMode()
    {
        await using (await StoreFactory.OpenAsync(_directory))
        {
        }

        using var connection = Open();
        Assert.Equal(AuditSchema.CurrentVersion, AuditSchema.ReadVersion(connection));
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal(1L, Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'decisions_fts';"));
        Assert.Equal(6L, Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_decisions_%';"));
    }

    [Fact]
    public async Task OpenAsync_ExistingCurrentSchema_MigratesNothingAndKeepsData()
    {
        var record = AuditRecords.Simple();
        await using (var store = await StoreFactory.OpenAsync(_directory))
        {
            await store.WriteAsync(record, Guardrail.Auditing.AuditDurability.Full, CancellationToken.None);
        }

        using (var connection = Open())
        {
            Assert.Equal(AuditSchema.CurrentVersion, AuditSchema.Migrate(connection));
        }

        await using var reopened = await StoreFactory.OpenAsync(_directory);
        Assert.NotNull(await reopened.GetAsync(record.Id, CancellationToken.None));
    }

    [Fact]
    public async Task OpenAsync_Version1Database_MigratesAndKeepsItsDecisions()
    {
        using (var connection = Open())
        {
            AuditSchema.Migrate(connection, targetVersion: 1);
            using var insert = connection.CreateCommand();
            insert.CommandText =
                "INSERT INTO decisions (id, time_ticks, tenant, route, model, direction, verdict, action, categories, " +
                "unsafe_probability, threshold, policy_id, policy_version, latency_ticks, cache_hit, truncated, content, " +
                "content_retention, content_hash) VALUES ('01JCR5X3Q8ZT1V9G7H2K4M6N8P', 638660000000000000, 'team-a', 'chat', " +
                "'m', 'prompt', 'unsafe', 'block', '[\"S1\"]', 0.9, 0.5, 'default', 'v1', 0, 0, 0, 'old words', 'full', 'h');";
            insert.ExecuteNonQuery();
        }

        await using var store = await StoreFactory.OpenAsync(_directory);
        var read = await store.GetAsync("01JCR5X3Q8ZT1V9G7H2K4M6N8P", CancellationToken.None);

        using var migrated = Open();
        Assert.Equal(AuditSchema.CurrentVersion, AuditSchema.ReadVersion(migrated));
        Assert.NotNull(read);
        Assert.Equal("old words", read.Content);
        Assert.Null(read.TraceId);
        Assert.Null(read.Refusal);
        Assert.Single((await store.QueryAsync(new Guardrail.Audit.Querying.AuditQuery { Search = "words" }, CancellationToken.None)).Records);
    }

    [Fact]
    public async Task OpenAsync_NewerSchema_RefusesWithVersionsInTheMessage()
    {
        using (var connection = Open())
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {AuditSchema.CurrentVersion + 1};";
            command.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StoreFactory.OpenAsync(_directory));

        Assert.Contains($"schema version {AuditSchema.CurrentVersion + 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_EveryConnection_SyncsCommitsFully()
    {
        var factory = new AuditConnectionFactory(_directory.File("audit.db"), TimeSpan.FromSeconds(3), createIfMissing: true);
        using var connection = factory.Open();

        Assert.Equal(2L, Scalar(connection, "PRAGMA synchronous;")); // 2 = FULL
        Assert.Equal(3000L, Scalar(connection, "PRAGMA busy_timeout;"));
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(
            new SqliteConnectionStringBuilder { DataSource = _directory.File("audit.db"), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
