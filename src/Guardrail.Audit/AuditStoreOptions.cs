using Guardrail.Audit.Storage;
using Guardrail.Auditing;

namespace Guardrail.Audit;

/// <summary>Settings of the audit store (configuration section <c>Guardrail:Audit</c>): the embedded SQLite file by
/// default, a PostgreSQL server when <see cref="ConnectionString"/> is set.</summary>
public sealed record AuditStoreOptions
{
    /// <summary>Largest <see cref="QueueCapacity"/> accepted; beyond it a stalled disk hides for too long.</summary>
    public const int MaxQueueCapacity = 1_000_000;

    /// <summary>Path of the SQLite database file. Its directory is created when missing. Required unless
    /// <see cref="ConnectionString"/> is set.</summary>
    public string DatabasePath { get; init; } = "";

    /// <summary>A PostgreSQL connection string (<c>Host=db;Database=guardrail;Username=guardrail</c>) or URL
    /// (<c>postgres://user:password@db:5432/guardrail</c>). When set, decisions go to that server instead of the SQLite
    /// file, so every replica writes to and reviews the same log. Default empty (SQLite).</summary>
    public string ConnectionString { get; init; } = "";

    /// <summary>True when the store is PostgreSQL.</summary>
    public bool UsesPostgres => !string.IsNullOrWhiteSpace(ConnectionString);

    /// <summary>Create the database when the file does not exist. The CLI turns this off so that a mistyped path
    /// is an error rather than an empty log. Default true.</summary>
    public bool CreateIfMissing { get; init; } = true;

    /// <summary>Retention applied to records that do not name their own. Default <see cref="ContentRetention.Redacted"/>.</summary>
    public ContentRetention ContentRetention { get; init; } = ContentRetention.Redacted;

    /// <summary>Records older than this many days are deleted by the purge. 0 keeps records forever. Default 0;
    /// range 0 to 36500.</summary>
    public int RetentionDays { get; init; }

    /// <summary>How often the background purge runs when <see cref="RetentionDays"/> is set. Zero turns the
    /// background purge off (<see cref="AuditStore.PurgeAsync"/> can still be called). Default 1 hour.</summary>
    public TimeSpan PurgeInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Records that may wait for the writer. Default 10,000; range 1 to <see cref="MaxQueueCapacity"/>.</summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>Most records committed in one transaction. Default 1,000; range 1 to 100,000.</summary>
    public int MaxBatchSize { get; init; } = 1_000;

    /// <summary>How long a producer waits for room in a full queue before the write fails with
    /// <see cref="AuditQueueFullException"/>. Default 2 seconds; range 0 to 5 minutes.</summary>
    public TimeSpan EnqueueTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a connection waits for another writer's lock (a label, a purge, the CLI); on PostgreSQL
    /// also the connect and command timeout. Default 10 seconds; range 1 second to 10 minutes.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these settings, each naming its key; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (UsesPostgres)
        {
            if (PostgresConnectionString.Problem(ConnectionString) is { } problem)
            {
                errors.Add($"Guardrail:Audit:ConnectionString {problem}");
            }
        }
        else if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            errors.Add("Guardrail:Audit:DatabasePath is required: set it to the path of the SQLite file, for example " +
                "/var/lib/guardrail/audit.db, or set Guardrail:Audit:ConnectionString to a PostgreSQL server.");
        }

        if (!Enum.IsDefined(ContentRetention))
        {
            errors.Add("Guardrail:Audit:ContentRetention must be one of full, redacted, hash, none.");
        }

        if (RetentionDays is < 0 or > 36_500)
        {
            errors.Add($"Guardrail:Audit:RetentionDays is {RetentionDays}: use 0 (keep forever) to 36500.");
        }

        if (PurgeInterval < TimeSpan.Zero)
        {
            errors.Add("Guardrail:Audit:PurgeInterval must not be negative; use 00:00:00 to turn the background purge off.");
        }

        if (QueueCapacity is < 1 or > MaxQueueCapacity)
        {
            errors.Add($"Guardrail:Audit:QueueCapacity is {QueueCapacity}: use 1 to {MaxQueueCapacity}.");
        }

        if (MaxBatchSize is < 1 or > 100_000)
        {
            errors.Add($"Guardrail:Audit:MaxBatchSize is {MaxBatchSize}: use 1 to 100000.");
        }

        if (EnqueueTimeout < TimeSpan.Zero || EnqueueTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Guardrail:Audit:EnqueueTimeout is {EnqueueTimeout}: use 00:00:00 to 00:05:00.");
        }

        if (BusyTimeout < TimeSpan.FromSeconds(1) || BusyTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Guardrail:Audit:BusyTimeout is {BusyTimeout}: use 00:00:01 to 00:10:00.");
        }

        return errors;
    }
}
