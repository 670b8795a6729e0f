using System.Data.Common;
using System.Diagnostics.Metrics;
using Guardrail.Audit.AdminActions;
using Guardrail.Audit.Diagnostics;
using Guardrail.Audit.Export;
using Guardrail.Audit.Labelling;
using Guardrail.Audit.Querying;
using Guardrail.Audit.Retention;
using Guardrail.Audit.Storage;
using Guardrail.Audit.Writing;
using Guardrail.Auditing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.Audit;

/// <summary>The audit log: decisions written by a background writer with group commit, read by reviewers through
/// queries, labels, stats and exports. Two engines behind this one type: <see cref="SqliteAuditStore"/> (one embedded
/// file, the default) and <see cref="PostgresAuditStore"/> (one server shared by every replica). Open either with
/// <see cref="OpenAsync(AuditStoreOptions, IMeterFactory?, TimeProvider?, ILoggerFactory?, CancellationToken)"/>;
/// <see cref="AuditStoreOptions.ConnectionString"/> chooses.</summary>
/// <remarks>
/// One instance per database per process (it owns the process's write queue). Other processes (the CLI, other
/// replicas) may use the same database at the same time: the engine serialises their writes with ours. Everything
/// but the engine's own fragments (<see cref="AuditSqlDialect"/>, the batch insert, snapshots, locks, migrations) is
/// here, once.
/// </remarks>
public abstract class AuditStore : IAuditSink, IAsyncDisposable
{
    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> behind the store's <c>guardrail_audit_*</c>
    /// instruments, for the metrics exporter to listen to.</summary>
    public const string MeterName = AuditMetrics.MeterName;

    private const int ExportPageSize = 500;
    private const int PurgeChunkSize = 2_000;

    private readonly AuditWriter _writer;
    private readonly AuditPurger _purger;
    private readonly AuditMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private int _disposed;

    private protected AuditStore(
        AuditStoreOptions options,
        IAuditBatchCommitter committer,
        TimeProvider timeProvider,
        ILogger logger,
        IMeterFactory? meterFactory)
    {
        Options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        AuditWriter? writer = null;
        _metrics = new AuditMetrics(() => writer?.QueueDepth ?? 0, meterFactory);
        _writer = writer = new AuditWriter(committer, options, _metrics, timeProvider, logger);
        _purger = new AuditPurger(DeleteOlderThanAsync, options, timeProvider, _metrics, logger);
    }

    /// <summary>The settings the store runs with.</summary>
    public AuditStoreOptions Options { get; }

    /// <summary>Where the decisions are, for logs and messages: the file's full path, or the server and database
    /// (never a password).</summary>
    public abstract string Location { get; }

    /// <summary>Opens (or creates) the store <paramref name="options"/> name, brings its schema up to date, and
    /// starts the writer and the purge.</summary>
    /// <exception cref="AuditValidationException">The options are invalid; every problem is listed.</exception>
    /// <exception cref="FileNotFoundException">The SQLite file does not exist and <see cref="AuditStoreOptions.CreateIfMissing"/> is off.</exception>
    public static Task<AuditStore> OpenAsync(
        AuditStoreOptions options,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default) =>
        OpenAsync(options, meterFactory: null, timeProvider, loggerFactory, cancellationToken);

    /// <summary>Opens the store like <see cref="OpenAsync(AuditStoreOptions, TimeProvider?, ILoggerFactory?, CancellationToken)"/>,
    /// creating its <c>guardrail_audit_*</c> instruments on a meter from <paramref name="meterFactory"/>, so that a
    /// host's exporter (which listens to its own factory's meters only) exports them. One store per factory: the
    /// factory hands every caller the same meter.</summary>
    /// <param name="options">The store's settings.</param>
    /// <param name="meterFactory">The host's meter factory; null gives the store a meter of its own.</param>
    /// <param name="timeProvider">Clock for timestamps and retention; the system clock when null.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="AuditValidationException">The options are invalid; every problem is listed.</exception>
    /// <exception cref="FileNotFoundException">The SQLite file does not exist and <see cref="AuditStoreOptions.CreateIfMissing"/> is off.</exception>
    public static async Task<AuditStore> OpenAsync(
        AuditStoreOptions options,
        IMeterFactory? meterFactory,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new AuditValidationException(errors);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<AuditStore>();
        AuditStore store = options.UsesPostgres
            ? await PostgresAuditStore.OpenAsync(options, timeProvider ?? TimeProvider.System, logger, meterFactory, cancellationToken).ConfigureAwait(false)
            : SqliteAuditStore.Open(options, timeProvider ?? TimeProvider.System, logger, meterFactory);
        store._purger.Start();
        return store;
    }

    /// <inheritdoc />
    /// <remarks>Retention is applied here, on the caller's thread, before the record is queued.</remarks>
    public async ValueTask WriteAsync(AuditRecord record, AuditDurability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var errors = Validate(record);
        if (errors.Count > 0)
        {
            throw new AuditValidationException(errors);
        }

        var stored = ContentRetentionApplier.Apply(record, Options.ContentRetention);
        if (durability == AuditDurability.BestEffort)
        {
            _writer.TryEnqueueBestEffort(new PendingAuditWrite(stored, Committed: null));
            return;
        }

        var committed = durability == AuditDurability.Full
            ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
            : null;
        await _writer.EnqueueAsync(new PendingAuditWrite(stored, committed), cancellationToken).ConfigureAwait(false);
        if (committed is not null)
        {
            await committed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The decision with this id, or null (also when it belongs to a tenant outside <paramref name="tenants"/>).</summary>
    /// <param name="id">The decision id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <param name="tenants">A reviewer's tenants (<see cref="AuditQuery.Tenants"/>); null for every tenant.</param>
    public async Task<AuditRecord?> GetAsync(string id, CancellationToken cancellationToken, IReadOnlyCollection<string>? tenants = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await GetAsync(connection, id, tenants, transaction: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One page of the decisions matching <paramref name="query"/>, with the total count.</summary>
    /// <exception cref="AuditValidationException">The query is invalid.</exception>
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ThrowIfInvalid(query);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One read transaction: the page and its count come from the same snapshot.
        await using var transaction = await BeginSnapshotAsync(connection, cancellationToken).ConfigureAwait(false);
        var records = await ReadPageAsync(connection, transaction, query, query.Limit + 1, cancellationToken).ConfigureAwait(false);
        string? next = null;
        if (records.Count > query.Limit)
        {
            records.RemoveAt(records.Count - 1);
            next = records[^1].Id;
        }

        var total = await CountAsync(connection, transaction, query, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new AuditPage { Records = records, NextCursor = next, TotalCount = total };
    }

    /// <summary>Labels a decision; returns the updated decision, or null when there is no decision with that id (or
    /// none within <paramref name="tenants"/>).</summary>
    /// <param name="id">The decision id.</param>
    /// <param name="request">The label.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <param name="tenants">A reviewer's tenants (<see cref="AuditQuery.Tenants"/>); null for every tenant.</param>
    /// <exception cref="AuditValidationException">The label request is invalid; every problem is listed.</exception>
    public async Task<AuditRecord?> LabelAsync(string id, AuditLabelRequest request, CancellationToken cancellationToken, IReadOnlyCollection<string>? tenants = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new AuditValidationException(errors);
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            var scope = AuditQueryBuilder.TenantScope(command, tenants) is { } condition ? " AND " + condition : "";
            command.CommandText =
                "UPDATE decisions AS d SET label = @label, label_categories = @categories, reviewer = @reviewer, " +
                $"label_note = @note, labelled_at_ticks = @at WHERE d.id = @id{scope};";
            command.AddParameter("@label", request.Label.ToWire());
            command.AddParameter("@categories",
                request.Categories.Count == 0 ? DBNull.Value : System.Text.Json.JsonSerializer.Serialize(request.Categories));
            command.AddParameter("@reviewer", request.Reviewer.Trim());
            command.AddParameter("@note", (object?)request.Note ?? DBNull.Value);
            command.AddParameter("@at", _timeProvider.GetUtcNow().UtcTicks);
            command.AddParameter("@id", id);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }
        }

        var updated = await GetAsync(connection, id, tenants: null, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return updated;
    }

    /// <summary>Records an admin action (its <see cref="AdminAction.Sequence"/> is the store's) and returns it as stored.
    /// Written at once, not through the decision queue: the caller holds the action until its trail entry is durable.</summary>
    public async Task<AdminAction> RecordAdminActionAsync(AdminAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (string.IsNullOrWhiteSpace(action.KeyId) || string.IsNullOrWhiteSpace(action.Action))
        {
            throw new AuditValidationException("An admin action needs a key id and an action.");
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO admin_actions (time_ticks, key_id, action, target) VALUES (@at, @key_id, @action, @target) RETURNING seq;";
        command.AddParameter("@at", action.Time.UtcTicks);
        command.AddParameter("@key_id", action.KeyId);
        command.AddParameter("@action", action.Action);
        command.AddParameter("@target", (object?)action.Target ?? DBNull.Value);
        var sequence = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        return action with { Sequence = sequence };
    }

    /// <summary>Admin actions newest first: those recorded before <paramref name="before"/> (a sequence, the previous
    /// page's <see cref="AdminActionPage.NextCursor"/>), by the key <paramref name="keyId"/> when given.</summary>
    /// <exception cref="AuditValidationException"><paramref name="limit"/> is outside 1 to <see cref="AdminActionPage.MaxLimit"/>.</exception>
    public async Task<AdminActionPage> ListAdminActionsAsync(string? keyId, long? before, int limit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > AdminActionPage.MaxLimit)
        {
            throw new AuditValidationException($"limit is {limit}: use 1 to {AdminActionPage.MaxLimit}.");
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var conditions = new List<string>();
        if (keyId is not null)
        {
            conditions.Add("key_id = @key_id");
            command.AddParameter("@key_id", keyId);
        }

        if (before is { } cursor)
        {
            conditions.Add("seq < @before");
            command.AddParameter("@before", cursor);
        }

        var where = conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
        command.CommandText = $"SELECT seq, time_ticks, key_id, action, target FROM admin_actions{where} ORDER BY seq DESC LIMIT @limit;";
        command.AddParameter("@limit", limit + 1);
        var actions = new List<AdminAction>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                actions.Add(new AdminAction
                {
                    Sequence = reader.GetInt64(0),
                    Time = new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
                    KeyId = reader.GetString(2),
                    Action = reader.GetString(3),
                    Target = reader.IsDBNull(4) ? null : reader.GetString(4),
                });
            }
        }

        long? next = null;
        if (actions.Count > limit)
        {
            actions.RemoveAt(actions.Count - 1);
            next = actions[^1].Sequence;
        }

        return new AdminActionPage { Actions = actions, NextCursor = next };
    }

    /// <summary>Writes every decision matching <paramref name="query"/> (all pages; <see cref="AuditQuery.Limit"/> is
    /// ignored), or the first <paramref name="maxRecords"/> of them, to <paramref name="output"/>.</summary>
    /// <remarks>
    /// <see cref="AuditExportFormat.EvaluationSet"/> writes labelled decisions only, with the expected answer derived
    /// from the label: <c>confirmed</c> = as decided (recorded verdict and categories); <c>false_positive</c> =
    /// <c>safe</c> with no categories; <c>false_negative</c> = <c>unsafe</c> with the categories the reviewer named, or
    /// none. Decisions without stored content, and confirmed decisions with an error verdict, are skipped.
    /// </remarks>
    public async Task<AuditExportResult> ExportAsync(
        AuditQuery query,
        AuditExportFormat format,
        TextWriter output,
        CancellationToken cancellationToken,
        long? maxRecords = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ThrowIfInvalid(query with { Limit = 1 });
        if (maxRecords is < 0)
        {
            throw new AuditValidationException($"maxRecords is {maxRecords}: use 0 or more.");
        }

        if (format == AuditExportFormat.Csv)
        {
            await AuditCsvWriter.WriteHeaderAsync(output, cancellationToken).ConfigureAwait(false);
        }

        long written = 0;
        long skipped = 0;
        var page = query with { Limit = ExportPageSize };
        while (true)
        {
            List<AuditRecord> records;
            // A connection per page: a long export holds no read snapshot open, so checkpoints (SQLite) and vacuum
            // (PostgreSQL) are not held back.
            var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                records = await ReadPageAsync(connection, transaction: null, page, ExportPageSize, cancellationToken).ConfigureAwait(false);
            }

            foreach (var record in records)
            {
                if (written >= maxRecords)
                {
                    break;
                }

                switch (format)
                {
                    case AuditExportFormat.JsonLines:
                        await AuditJsonLinesWriter.WriteAsync(output, record, cancellationToken).ConfigureAwait(false);
                        written++;
                        break;
                    case AuditExportFormat.Csv:
                        await AuditCsvWriter.WriteAsync(output, record, cancellationToken).ConfigureAwait(false);
                        written++;
                        break;
                    case AuditExportFormat.EvaluationSet:
                        if (await EvaluationSetWriter.TryWriteAsync(output, record, cancellationToken).ConfigureAwait(false))
                        {
                            written++;
                        }
                        else
                        {
                            skipped++;
                        }

                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format.");
                }
            }

            if (records.Count < ExportPageSize || written >= maxRecords)
            {
                break;
            }

            page = page with { After = records[^1].Id };
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new AuditExportResult { Written = written, Skipped = skipped };
    }

    /// <summary>Counts of the decisions matching <paramref name="query"/> by action, direction, verdict, category and
    /// label. Paging fields are ignored.</summary>
    public async Task<AuditStats> GetStatsAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ThrowIfInvalid(query with { Limit = 1, After = null });
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginSnapshotAsync(connection, cancellationToken).ConfigureAwait(false);
        const string Decisions = "FROM decisions d";
        var stats = new AuditStats
        {
            Total = await CountAsync(connection, transaction, query, cancellationToken).ConfigureAwait(false),
            ByAction = await GroupAsync(connection, transaction, query, "d.action", Decisions, cancellationToken).ConfigureAwait(false),
            ByDirection = await GroupAsync(connection, transaction, query, "d.direction", Decisions, cancellationToken).ConfigureAwait(false),
            ByVerdict = await GroupAsync(connection, transaction, query, "d.verdict", Decisions, cancellationToken).ConfigureAwait(false),
            ByLabel = await GroupAsync(connection, transaction, query, "d.label", Decisions, cancellationToken).ConfigureAwait(false),
            ByCategory = await GroupAsync(connection, transaction, query, "c.code", Dialect.CategoryFrom, cancellationToken).ConfigureAwait(false),
        };
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return stats;
    }

    /// <summary>Deletes records older than <see cref="AuditStoreOptions.RetentionDays"/> now; returns how many (0
    /// when another replica is purging the same PostgreSQL database at this moment).</summary>
    public Task<long> PurgeAsync(CancellationToken cancellationToken) =>
        Task.Run(() => _purger.PurgeNowAsync(cancellationToken), cancellationToken);

    /// <summary>The writer's counters since the store opened.</summary>
    public AuditWriterStats GetWriterStats() => _metrics.Snapshot(_writer.QueueDepth, Options.QueueCapacity);

    /// <summary>Stops the purge, commits every queued record, and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _purger.DisposeAsync().ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
        var stats = GetWriterStats();
        AuditLog.Closed(_logger, stats.RecordsWritten, stats.WriteErrors);
        _metrics.Dispose();
        await CloseAsync().ConfigureAwait(false);
    }

    /// <summary>The engine's category and search fragments.</summary>
    private protected abstract AuditSqlDialect Dialect { get; }

    /// <summary>A connection for one read or one short write outside the writer.</summary>
    private protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>A read-only transaction in which every statement sees the same snapshot.</summary>
    private protected abstract Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Takes the database-wide purge lock on <paramref name="connection"/>; false when another process holds
    /// it (it is purging the same rows now).</summary>
    private protected abstract Task<bool> TryLockPurgeAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Releases what <see cref="TryLockPurgeAsync"/> took.</summary>
    private protected abstract Task UnlockPurgeAsync(DbConnection connection);

    /// <summary>Releases what the engine holds beyond the writer (a connection pool), after the writer has closed.</summary>
    private protected virtual ValueTask CloseAsync() => ValueTask.CompletedTask;

    /// <summary>Deletes the records older than <paramref name="cutoff"/> in chunks of short transactions, under the
    /// purge lock; returns how many.</summary>
    private async Task<long> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (!await TryLockPurgeAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        try
        {
            long total = 0;
            while (true)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText =
                    "DELETE FROM decisions WHERE seq IN (SELECT seq FROM decisions WHERE time_ticks < @cutoff LIMIT @chunk);";
                command.AddParameter("@cutoff", cutoff.UtcTicks);
                command.AddParameter("@chunk", PurgeChunkSize);
                var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                total += deleted;
                if (deleted < PurgeChunkSize)
                {
                    return total;
                }
            }
        }
        finally
        {
            await UnlockPurgeAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>The meter behind the store's instruments; lets a test listen to this store only.</summary>
    internal System.Diagnostics.Metrics.Meter Meter => _metrics.Meter;

    private static List<string> Validate(AuditRecord record)
    {
        var errors = new List<string>();
        if (!AuditIdGenerator.TryGetTime(record.Id, out _))
        {
            errors.Add($"id '{record.Id}' is not a decision id: make it with AuditIdGenerator.");
        }

        Required(record.Tenant, "tenant");
        Required(record.Route, "route");
        if (AuditRecordRules.NeedsModelAndPolicy(record))
        {
            Required(record.Model, "model");
            Required(record.PolicyId, "policy id");
            Required(record.PolicyVersion, "policy version");
        }

        errors.AddRange(AuditRecordRules.Problems(record));
        if (record.Categories is null || record.Categories.Any(string.IsNullOrEmpty))
        {
            errors.Add("categories must not be null or hold empty codes.");
        }

        if (record.LabelCategories is null || record.LabelCategories.Any(string.IsNullOrEmpty))
        {
            errors.Add("label categories must not be null or hold empty codes.");
        }

        if (!Enum.IsDefined(record.Direction) || !Enum.IsDefined(record.Verdict) || !Enum.IsDefined(record.Action) ||
            (record.ShadowAction is { } shadow && !Enum.IsDefined(shadow)) ||
            (record.ContentRetention is { } retention && !Enum.IsDefined(retention)) ||
            (record.Label is { } label && !Enum.IsDefined(label)))
        {
            errors.Add("direction, verdict, action, shadow action, content retention and label must be defined values.");
        }

        if (!double.IsFinite(record.UnsafeProbability) || !double.IsFinite(record.Threshold))
        {
            errors.Add("unsafe probability and threshold must be finite numbers.");
        }

        return errors;

        void Required(string? value, string name)
        {
            if (string.IsNullOrEmpty(value))
            {
                errors.Add($"{name} is required.");
            }
        }
    }

    private static void ThrowIfInvalid(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var errors = query.Validate();
        if (errors.Count > 0)
        {
            throw new AuditValidationException(errors);
        }
    }

    private static async Task<AuditRecord?> GetAsync(
        DbConnection connection,
        string id,
        IReadOnlyCollection<string>? tenants,
        DbTransaction? transaction,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var scope = AuditQueryBuilder.TenantScope(command, tenants) is { } condition ? " AND " + condition : "";
        command.CommandText = $"SELECT {AuditRecordRows.SelectColumns} FROM decisions d WHERE d.id = @id{scope};";
        command.AddParameter("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? AuditRecordRows.Read(reader) : null;
    }

    private async Task<List<AuditRecord>> ReadPageAsync(
        DbConnection connection,
        DbTransaction? transaction,
        AuditQuery query,
        int limit,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var where = AuditQueryBuilder.Where(command, query, includeCursor: true, Dialect);
        command.CommandText =
            $"SELECT {AuditRecordRows.SelectColumns} FROM decisions d{where}{AuditQueryBuilder.OrderBy(query)} LIMIT @limit;";
        command.AddParameter("@limit", limit);
        var records = new List<AuditRecord>(Math.Min(limit, 256));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(AuditRecordRows.Read(reader));
        }

        return records;
    }

    private async Task<long> CountAsync(
        DbConnection connection,
        DbTransaction transaction,
        AuditQuery query,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var where = AuditQueryBuilder.Where(command, query, includeCursor: false, Dialect);
        command.CommandText = $"SELECT COUNT(*) FROM decisions d{where};";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<Dictionary<string, long>> GroupAsync(
        DbConnection connection,
        DbTransaction transaction,
        AuditQuery query,
        string key,
        string from,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var where = AuditQueryBuilder.Where(command, query, includeCursor: false, Dialect);
        command.CommandText = $"SELECT {key}, COUNT(*) {from}{where} GROUP BY {key} ORDER BY {key};";
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!reader.IsDBNull(0))
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        return counts;
    }
}
