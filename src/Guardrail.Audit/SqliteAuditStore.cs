using System.Data.Common;
using System.Diagnostics.Metrics;
using Guardrail.Audit.Diagnostics;
using Guardrail.Audit.Storage;
using Guardrail.Auditing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Guardrail.Audit;

/// <summary>The embedded audit store: one SQLite file in WAL mode, written by the store's single writer connection.</summary>
/// <remarks>
/// Start-up recovers a database left by a crash: SQLite replays committed transactions from the WAL and ignores a
/// torn tail, so every write whose <see cref="Guardrail.Auditing.AuditDurability.Full"/> call returned is there after
/// a restart. Other processes (the CLI) may open the same file at once; SQLite's locking serialises their writes with
/// ours, so no purge lock beyond the process's own is needed.
/// </remarks>
public sealed class SqliteAuditStore : AuditStore
{
    private readonly AuditConnectionFactory _connections;

    private SqliteAuditStore(
        AuditStoreOptions options,
        AuditConnectionFactory connections,
        SqliteConnection writerConnection,
        TimeProvider timeProvider,
        ILogger logger,
        IMeterFactory? meterFactory)
        : base(options, new SqliteBatchCommitter(writerConnection), timeProvider, logger, meterFactory)
    {
        _connections = connections;
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath => _connections.DatabasePath;

    /// <inheritdoc />
    public override string Location => DatabasePath;

    private protected override AuditSqlDialect Dialect => AuditSqlDialect.Sqlite;

    /// <summary>Opens (or creates) the file and brings its schema up to date; options already validated.</summary>
    internal static SqliteAuditStore Open(AuditStoreOptions options, TimeProvider timeProvider, ILogger logger, IMeterFactory? meterFactory)
    {
        var path = Path.GetFullPath(options.DatabasePath);
        if (!options.CreateIfMissing && !File.Exists(path))
        {
            throw new FileNotFoundException($"No audit database at {path}.", path);
        }

        if (Path.GetDirectoryName(path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var connections = new AuditConnectionFactory(path, options.BusyTimeout, options.CreateIfMissing);
        var writerConnection = connections.OpenWriter();
        try
        {
            var found = AuditSchema.Migrate(writerConnection);
            var store = new SqliteAuditStore(options, connections, writerConnection, timeProvider, logger, meterFactory);
            AuditLog.Opened(logger, path, found, AuditSchema.CurrentVersion, options.ContentRetention.ToWire());
            return store;
        }
        catch
        {
            writerConnection.Dispose();
            throw;
        }
    }

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);

    private protected override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    private protected override Task<bool> TryLockPurgeAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult(true);

    private protected override Task UnlockPurgeAsync(DbConnection connection) => Task.CompletedTask;
}
