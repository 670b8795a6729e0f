using Guardrail.Audit.Writing;
using Guardrail.Auditing;
using Microsoft.Data.Sqlite;

namespace Guardrail.Audit.Storage;

/// <summary>Commits batches on the writer's own SQLite connection with one prepared insert reused for every record;
/// the insert trigger indexes categories and content, so one statement per record crosses into SQLite.</summary>
internal sealed class SqliteBatchCommitter : IAuditBatchCommitter
{
    // Primary SQLite result codes (sqlite3.h) that say the database cannot write now, whatever the record.
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteNoMemory = 7;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoError = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteProtocol = 15;
    private const int SqliteNotADatabase = 26;

    private static readonly string InsertSql =
        $"INSERT INTO decisions ({string.Join(", ", AuditRecordRows.Columns)}) " +
        $"VALUES ({string.Join(", ", AuditRecordRows.Columns.Select(column => "$" + column))});";

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;

    public SqliteBatchCommitter(SqliteConnection connection)
    {
        _connection = connection;
        _insert = connection.CreateCommand();
        _insert.CommandText = InsertSql;
        foreach (var column in AuditRecordRows.Columns)
        {
            _insert.Parameters.Add(new SqliteParameter { ParameterName = "$" + column });
        }
    }

    public Task CommitAsync(IReadOnlyList<AuditRecord> records)
    {
        using var transaction = _connection.BeginTransaction();
        _insert.Transaction = transaction;
        foreach (var record in records)
        {
            var values = AuditRecordRows.Values(record);
            for (var i = 0; i < values.Length; i++)
            {
                _insert.Parameters[i].Value = values[i];
            }

            _insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return Task.CompletedTask;
    }

    public bool IsUnavailable(Exception exception) =>
        exception is SqliteException sqlite &&
        (sqlite.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked or SqliteNoMemory or SqliteReadOnly or SqliteIoError
            or SqliteCorrupt or SqliteFull or SqliteCantOpen or SqliteProtocol or SqliteNotADatabase;

    public async ValueTask DisposeAsync()
    {
        await _insert.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
