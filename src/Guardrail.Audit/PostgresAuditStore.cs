using System.Data;
using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Globalization;
using Guardrail.Audit.Diagnostics;
using Guardrail.Audit.Storage;
using Guardrail.Auditing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Guardrail.Audit;

/// <summary>The shared audit store: one PostgreSQL database that every replica writes to and every reviewer reads,
/// so the review API of any replica lists every decision.</summary>
/// <remarks>
/// Each replica runs its own writer (group commit by binary <c>COPY</c>); the server serialises them. A commit is
/// acknowledged once PostgreSQL has flushed it (<c>synchronous_commit</c> as the server sets it; the default, on, is
/// what the durability promise assumes). Connections come from one Npgsql pool per store; a connection broken by a
/// server restart is dropped from the pool and the next operation opens a fresh one, so the store recovers by itself
/// when the server is back.
/// </remarks>
public sealed class PostgresAuditStore : AuditStore
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresAuditStore(
        AuditStoreOptions options,
        NpgsqlDataSource dataSource,
        string location,
        TimeProvider timeProvider,
        ILogger logger,
        IMeterFactory? meterFactory)
        : base(options, new PostgresBatchCommitter(dataSource), timeProvider, logger, meterFactory)
    {
        _dataSource = dataSource;
        Location = location;
    }

    /// <inheritdoc />
    public override string Location { get; }

    private protected override AuditSqlDialect Dialect => AuditSqlDialect.Postgres;

    /// <summary>Connects, applies missing migrations under the migration lock; options already validated.</summary>
    internal static async Task<PostgresAuditStore> OpenAsync(
        AuditStoreOptions options,
        TimeProvider timeProvider,
        ILogger logger,
        IMeterFactory? meterFactory,
        CancellationToken cancellationToken)
    {
        var settings = PostgresConnectionString.Build(options.ConnectionString, options.BusyTimeout);
        var location = string.Create(CultureInfo.InvariantCulture, $"postgres://{settings.Host}:{settings.Port}/{settings.Database}");
        var dataSource = NpgsqlDataSource.Create(settings);
        try
        {
            var found = await PostgresSchema.MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
            var store = new PostgresAuditStore(options, dataSource, location, timeProvider, logger, meterFactory);
            AuditLog.Opened(logger, location, found, PostgresSchema.CurrentVersion, options.ContentRetention.ToWire());
            return store;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    private protected override async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);

    private protected override async Task<bool> TryLockPurgeAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = string.Create(CultureInfo.InvariantCulture,
            $"SELECT pg_try_advisory_lock({PostgresSchema.LockClass}, {PostgresSchema.PurgeLock});");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private protected override async Task UnlockPurgeAsync(DbConnection connection)
    {
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = string.Create(CultureInfo.InvariantCulture,
                $"SELECT pg_advisory_unlock({PostgresSchema.LockClass}, {PostgresSchema.PurgeLock});");
            await command.ExecuteScalarAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The session is gone, and a session-level lock goes with it; nothing is left to release.
        }
    }

    private protected override ValueTask CloseAsync() => _dataSource.DisposeAsync();
}
