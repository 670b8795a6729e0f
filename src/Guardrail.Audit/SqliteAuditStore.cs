using System.Diagnostics.Metrics;
using Guardrail.Audit.Diagnostics;
using Guardrail.Audit.Export;
using Guardrail.Audit.Labelling;
using Guardrail.Audit.Querying;
using Guardrail.Audit.Retention;
using Guardrail.Audit.Storage;
using Guardrail.Audit.Writing;
using Guardrail.Auditing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.Audit;

/// <summary>The embedded audit store: one SQLite file in WAL mode, written by a single background writer with group
/// commit, read by reviewers through queries, labels and exports.</summary>
/// <remarks>
/// One instance per database per process (it owns the only write queue). Other processes (the CLI) may open the
/// same file at the same time: SQLite's locking serialises their writes with ours.
/// Start-up recovers a database left by a crash: SQLite replays committed transactions from the WAL and ignores a
/// torn tail, so every write whose <see cref="AuditDurability.Full"/> call returned is there after a restart.
/// </remarks>
public sealed class SqliteAuditStore : IAuditSink, IAsyncDisposable
{
    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> behind the store's <c>guardrail_audit_*</c>
    /// instruments, for the metrics exporter to listen to.</summary>
    public const string MeterName = AuditMetrics.MeterName;

    private const int ExportPageSize = 500;

    private readonly AuditConnectionFactory _connections;
    private readonly AuditWriter _writer;
    private readonly AuditPurger _purger;
    private readonly AuditMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private int _disposed;

    private SqliteAuditStore(
        SqliteAuditStoreOptions options,
        AuditConnectionFactory connections,
        SqliteConnection writerConnection,
        TimeProvider timeProvider,
        ILogger logger,
        IMeterFactory? meterFactory)
    {
        Options = options;
        _connections = connections;
        _timeProvider = timeProvider;
        _logger = logger;
        AuditWriter? writer = null;
        _metrics = new AuditMetrics(() => writer?.QueueDepth ?? 0, meterFactory);
        _writer = writer = new AuditWriter(writerConnection, options, _metrics, timeProvider, logger);
        _purger = new AuditPurger(connections, options, timeProvider, _metrics, logger);
    }

    /// <summary>The settings the store runs with.</summary>
    public SqliteAuditStoreOptions Options { get; }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath => _connections.DatabasePath;

    /// <summary>Opens (or creates) the database, brings its schema up to date, and starts the writer and the purge.</summary>
    /// <exception cref="AuditValidationException">The options are invalid; every problem is listed.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist and <see cref="SqliteAuditStoreOptions.CreateIfMissing"/> is off.</exception>
    public static Task<SqliteAuditStore> OpenAsync(
        SqliteAuditStoreOptions options,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default) =>
        OpenAsync(options, meterFactory: null, timeProvider, loggerFactory, cancellationToken);

    /// <summary>Opens the store like <see cref="OpenAsync(SqliteAuditStoreOptions, TimeProvider?, ILoggerFactory?, CancellationToken)"/>,
    /// creating its <c>guardrail_audit_*</c> instruments on a meter from <paramref name="meterFactory"/>, so that a
    /// host's exporter (which listens to its own factory's meters only) exports them. One store per factory: the
    /// factory hands every caller the same meter.</summary>
    /// <param name="options">The store's settings.</param>
    /// <param name="meterFactory">The host's meter factory; null gives the store a meter of its own.</param>
    /// <param name="timeProvider">Clock for timestamps and retention; the system clock when null.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="AuditValidationException">The options are invalid; every problem is listed.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist and <see cref="SqliteAuditStoreOptions.CreateIfMissing"/> is off.</exception>
    public static Task<SqliteAuditStore> OpenAsync(
        SqliteAuditStoreOptions options,
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
        var path = Path.GetFullPath(options.DatabasePath);
        if (!options.CreateIfMissing && !File.Exists(path))
        {
            throw new FileNotFoundException($"No audit database at {path}.", path);
        }

        if (Path.GetDirectoryName(path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SqliteAuditStore>();
        var connections = new AuditConnectionFactory(path, options.BusyTimeout, options.CreateIfMissing);
        var writerConnection = connections.OpenWriter();
        try
        {
            var found = AuditSchema.Migrate(writerConnection);
            var store = new SqliteAuditStore(options, connections, writerConnection, timeProvider ?? TimeProvider.System, logger, meterFactory);
            store._purger.Start();
            AuditLog.Opened(logger, path, found, AuditSchema.CurrentVersion, options.ContentRetention.ToWire());
            return Task.FromResult(store);
        }
        catch
        {
            writerConnection.Dispose();
            throw;
        }
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
        var committed = durability == AuditDurability.Full
            ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
            : null;
        await _writer.EnqueueAsync(new PendingAuditWrite(stored, committed), cancellationToken).ConfigureAwait(false);
        if (committed is not null)
        {
            await committed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The decision with this id, or null.</summary>
    public async Task<AuditRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var connection = await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await GetAsync(connection, id, transaction: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One page of the decisions matching <paramref name="query"/>, with the total count.</summary>
    /// <exception cref="AuditValidationException">The query is invalid.</exception>
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ThrowIfInvalid(query);
        await using var connection = await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        // One read transaction: the page and its count come from the same snapshot.
        await using var transaction = connection.BeginTransaction(deferred: true);
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

    /// <summary>Labels a decision; returns the updated decision, or null when there is no decision with that id.</summary>
    /// <exception cref="AuditValidationException">The label request is invalid; every problem is listed.</exception>
    public async Task<AuditRecord?> LabelAsync(string id, AuditLabelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new AuditValidationException(errors);
        }

        await using var connection = await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText =
                "UPDATE decisions SET label = $label, label_categories = $categories, reviewer = $reviewer, " +
                "label_note = $note, labelled_at_ticks = $at WHERE id = $id;";
            command.Parameters.AddWithValue("$label", request.Label.ToWire());
            command.Parameters.AddWithValue("$categories",
                request.Categories.Count == 0 ? DBNull.Value : System.Text.Json.JsonSerializer.Serialize(request.Categories));
            command.Parameters.AddWithValue("$reviewer", request.Reviewer.Trim());
            command.Parameters.AddWithValue("$note", (object?)request.Note ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", _timeProvider.GetUtcNow().UtcTicks);
            command.Parameters.AddWithValue("$id", id);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }
        }

        var updated = await GetAsync(connection, id, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return updated;
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
            // A connection per page: a long export holds no read snapshot open, so checkpoints are not held back.
            var connection = await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);
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
        await using var connection = await _connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: true);
        const string Decisions = "FROM decisions d";
        var stats = new AuditStats
        {
            Total = await CountAsync(connection, transaction, query, cancellationToken).ConfigureAwait(false),
            ByAction = await GroupAsync(connection, transaction, query, "d.action", Decisions, cancellationToken).ConfigureAwait(false),
            ByDirection = await GroupAsync(connection, transaction, query, "d.direction", Decisions, cancellationToken).ConfigureAwait(false),
            ByVerdict = await GroupAsync(connection, transaction, query, "d.verdict", Decisions, cancellationToken).ConfigureAwait(false),
            ByLabel = await GroupAsync(connection, transaction, query, "d.label", Decisions, cancellationToken).ConfigureAwait(false),
            ByCategory = await GroupAsync(connection, transaction, query, "c.code",
                "FROM decision_categories c JOIN decisions d ON d.seq = c.decision_seq", cancellationToken).ConfigureAwait(false),
        };
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return stats;
    }

    /// <summary>Deletes records older than <see cref="SqliteAuditStoreOptions.RetentionDays"/> now; returns how many.</summary>
    public Task<long> PurgeAsync(CancellationToken cancellationToken) =>
        Task.Run(() => _purger.PurgeNow(cancellationToken), cancellationToken);

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
        Required(record.Model, "model");
        Required(record.PolicyId, "policy id");
        Required(record.PolicyVersion, "policy version");
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
        SqliteConnection connection,
        string id,
        SqliteTransaction? transaction,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {AuditRecordRows.SelectColumns} FROM decisions d WHERE d.id = $id;";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? AuditRecordRows.Read(reader) : null;
    }

    private static async Task<List<AuditRecord>> ReadPageAsync(
        SqliteConnection connection,
        SqliteTransaction? transaction,
        AuditQuery query,
        int limit,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var where = AuditQueryBuilder.Where(command, query, includeCursor: true);
        command.CommandText =
            $"SELECT {AuditRecordRows.SelectColumns} FROM decisions d{where}{AuditQueryBuilder.OrderBy(query)} LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", limit);
        var records = new List<AuditRecord>(Math.Min(limit, 256));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(AuditRecordRows.Read(reader));
        }

        return records;
    }

    private static async Task<long> CountAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        AuditQuery query,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var where = AuditQueryBuilder.Where(command, query, includeCursor: false);
        command.CommandText = $"SELECT COUNT(*) FROM decisions d{where};";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<Dictionary<string, long>> GroupAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        AuditQuery query,
        string key,
        string from,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var where = AuditQueryBuilder.Where(command, query, includeCursor: false);
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
