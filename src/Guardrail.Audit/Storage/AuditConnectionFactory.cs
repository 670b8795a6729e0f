using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Guardrail.Audit.Storage;

/// <summary>Opens connections to the audit database with the pragmas every connection needs.</summary>
/// <remarks>
/// Pragmas, and why:
/// <list type="bullet">
/// <item><c>journal_mode=WAL</c> (persistent, set once by the writer): readers (review page, CLI) never block the
/// writer and the writer never blocks them; a commit is one sequential append to the WAL instead of rewriting pages
/// in place, which is what makes group commit cheap.</item>
/// <item><c>synchronous=FULL</c>: every commit syncs the WAL, so a committed record survives power loss, not only a
/// process crash (NORMAL would survive a crash but may roll back the last commits on power loss). A blocked decision
/// must be on disk before its refusal is sent; the cost is one fsync per group commit, not per record.</item>
/// <item><c>busy_timeout</c>: labels, purges and the CLI write through their own connections; they wait for the
/// writer's short transactions instead of failing with SQLITE_BUSY.</item>
/// <item><c>journal_size_limit</c>: WAL files are truncated after checkpoints so a burst does not leave a large
/// file behind.</item>
/// <item><c>temp_store=MEMORY</c>: sorting for stats and exports never spills to a temporary file.</item>
/// </list>
/// Connection pooling is off: every operation outside the writer opens and closes its own connection, so a closed
/// store holds no file handles and its files can be copied or deleted.
/// </remarks>
internal sealed class AuditConnectionFactory
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMilliseconds;

    public AuditConnectionFactory(string databasePath, TimeSpan busyTimeout, bool createIfMissing)
    {
        DatabasePath = Path.GetFullPath(databasePath);
        _busyTimeoutMilliseconds = (int)busyTimeout.TotalMilliseconds;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = createIfMissing ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)busyTimeout.TotalSeconds),
        }.ToString();
    }

    public string DatabasePath { get; }

    /// <summary>Opens a connection with the per-connection pragmas set.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, string.Create(CultureInfo.InvariantCulture,
                $"PRAGMA busy_timeout={_busyTimeoutMilliseconds}; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;"));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>As <see cref="Open"/>, for async callers. Microsoft.Data.Sqlite opens synchronously either way; this
    /// keeps cancellation and exceptions on the returned task.</summary>
    public Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Open());
    }

    /// <summary>Opens the writer's connection: as <see cref="Open"/>, and switches the file to WAL.</summary>
    public SqliteConnection OpenWriter()
    {
        var connection = Open();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = command.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"The audit database {DatabasePath} could not be switched to WAL mode (it reports '{mode}'). " +
                    "WAL needs a local file system that supports shared memory; network file systems often do not.");
            }

            Execute(connection, "PRAGMA journal_size_limit=67108864;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
