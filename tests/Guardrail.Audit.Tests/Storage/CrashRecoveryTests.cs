using System.Diagnostics;
using Guardrail.Audit.Querying;
using Guardrail.Audit.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace Guardrail.Audit.Tests.Storage;

public sealed class CrashRecoveryTests : IDisposable
{
    private const int AcknowledgedBeforeKill = 300;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task OpenAsync_AfterSigkillMidWrite_EveryAcknowledgedFullWriteIsThere()
    {
        var database = _directory.File("audit.db");
        var acknowledged = await RunWriterUntilKilledAsync(database);

        // The killed writer never checkpointed or removed its WAL: reopening has to recover from it.
        Assert.True(new FileInfo(database + "-wal").Length > 0, "no WAL left behind; the stop was not unclean");
        await using var store = await AuditStore.OpenAsync(new AuditStoreOptions
        {
            DatabasePath = database,
            CreateIfMissing = false,
            PurgeInterval = TimeSpan.Zero,
        });

        foreach (var id in acknowledged)
        {
            Assert.NotNull(await store.GetAsync(id, CancellationToken.None));
        }

        Assert.True((await store.QueryAsync(new AuditQuery(), CancellationToken.None)).TotalCount >= acknowledged.Count);
        Assert.Equal("ok", IntegrityCheck(database));
        // And the recovered store takes new writes.
        var after = AuditRecords.Simple();
        await store.WriteAsync(after, Guardrail.Auditing.AuditDurability.Full, CancellationToken.None);
        Assert.NotNull(await store.GetAsync(after.Id, CancellationToken.None));
    }

    private static async Task<List<string>> RunWriterUntilKilledAsync(string database)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(CrashWriterProgram).Assembly.Location);
        start.ArgumentList.Add(CrashWriterProgram.Verb);
        start.ArgumentList.Add(database);
        using var child = Process.Start(start)!;
        var acknowledged = new List<string>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (acknowledged.Count < AcknowledgedBeforeKill)
            {
                var line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                {
                    var error = await child.StandardError.ReadToEndAsync(timeout.Token);
                    Assert.Fail($"the writer exited early: {error}");
                }

                acknowledged.Add(line);
            }
        }
        finally
        {
            // Process.Kill is SIGKILL on Unix: no finalisers, no flush, no checkpoint.
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
        }

        // Ids printed after the ones we counted may have been cut mid-line; the counted ones are whole.
        return acknowledged;
    }

    private static string IntegrityCheck(string database)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        using (var fts = connection.CreateCommand())
        {
            // Throws SQLITE_CORRUPT_VTAB when the full-text index disagrees with the table.
            fts.CommandText = "INSERT INTO decisions_fts (decisions_fts) VALUES ('integrity-check');";
            fts.ExecuteNonQuery();
        }

        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        return (string)command.ExecuteScalar()!;
    }
}
