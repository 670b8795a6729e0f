using System.Globalization;
using Npgsql;

namespace Guardrail.Audit.Storage;

/// <summary>The audit schema on PostgreSQL and its migrations, tracked in <c>guardrail_audit_schema</c> (one row per
/// applied version).</summary>
/// <remarks>
/// The same columns as SQLite's <c>decisions</c> (<see cref="AuditRecordRows.Columns"/>), plus what PostgreSQL indexes
/// instead of SQLite's side tables: <c>category_codes text[]</c> and a generated <c>search_vector tsvector</c>, each
/// with a GIN index. Ids sort bytewise (<c>COLLATE "C"</c>) so paging orders them as SQLite does, whatever the
/// database's locale. Migration runs in one transaction under a transaction-scoped advisory lock: replicas that
/// start together queue on the lock, the first applies what is missing, the others find it applied. Append-only,
/// like SQLite's.
/// </remarks>
internal static class PostgresSchema
{
    /// <summary>First key of every advisory lock Guardrail takes ("GRLD"), so ours never collide with an
    /// application's that shares the database.</summary>
    public const int LockClass = 0x47524C44;

    /// <summary>Second key of the migration lock.</summary>
    public const int MigrationLock = 1;

    /// <summary>Second key of the retention purge lock.</summary>
    public const int PurgeLock = 2;

    /// <summary>The version this build writes and reads.</summary>
    public static int CurrentVersion => Migrations.Length;

    private static readonly string[] Migrations =
    [
        // 1: decisions with indexed categories and full-text search.
        """
        CREATE TABLE decisions (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            time_ticks bigint NOT NULL,
            tenant text NOT NULL,
            key_id text,
            route text NOT NULL,
            model text NOT NULL,
            direction text NOT NULL,
            verdict text NOT NULL,
            action text NOT NULL,
            categories text NOT NULL,
            category_codes text[] NOT NULL,
            unsafe_probability double precision NOT NULL,
            threshold double precision NOT NULL,
            policy_id text NOT NULL,
            policy_version text NOT NULL,
            shadow_action text,
            classifier_model text,
            latency_ticks bigint NOT NULL,
            cache_hit bigint NOT NULL,
            truncated bigint NOT NULL,
            request_id text,
            content text,
            content_retention text NOT NULL,
            content_hash text NOT NULL,
            label text,
            label_categories text,
            reviewer text,
            label_note text,
            labelled_at_ticks bigint,
            search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(content, ''))) STORED
        );
        CREATE INDEX ix_decisions_time ON decisions (time_ticks);
        CREATE INDEX ix_decisions_tenant ON decisions (tenant, id);
        CREATE INDEX ix_decisions_action ON decisions (action, id);
        CREATE INDEX ix_decisions_policy ON decisions (policy_id, id);
        CREATE INDEX ix_decisions_label ON decisions (label, id);
        CREATE INDEX ix_decisions_categories ON decisions USING gin (category_codes);
        CREATE INDEX ix_decisions_search ON decisions USING gin (search_vector);
        """,

        // 2: the request's trace id, the remote classifier endpoint that answered, and why a request was refused
        // before any check (a rate limit).
        """
        ALTER TABLE decisions ADD COLUMN trace_id text;
        ALTER TABLE decisions ADD COLUMN classifier_endpoint text;
        ALTER TABLE decisions ADD COLUMN refusal text;
        CREATE INDEX ix_decisions_trace ON decisions (trace_id) WHERE trace_id IS NOT NULL;
        """,

        // 3: the admin-action trail: who listed, read, labelled or exported what, and when.
        """
        CREATE TABLE admin_actions (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            time_ticks bigint NOT NULL,
            key_id text NOT NULL,
            action text NOT NULL,
            target text
        );
        CREATE INDEX ix_admin_actions_key ON admin_actions (key_id, seq);
        """,
    ];

    /// <summary>Brings the database to <see cref="CurrentVersion"/>; returns the version it found.</summary>
    /// <exception cref="InvalidOperationException">The database was written by a newer build.</exception>
    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, string.Create(CultureInfo.InvariantCulture,
            $"SELECT pg_advisory_xact_lock({LockClass}, {MigrationLock});"), cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction,
            "CREATE TABLE IF NOT EXISTS guardrail_audit_schema (version integer PRIMARY KEY, " +
            "applied_at timestamptz NOT NULL DEFAULT now());", cancellationToken).ConfigureAwait(false);
        var found = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (found > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The audit database has schema version {found}, newer than this build's {CurrentVersion}. " +
                "Run a Guardrail version at least as new as the one that wrote it.");
        }

        for (var version = found + 1; version <= CurrentVersion; version++)
        {
            await ExecuteAsync(connection, transaction, Migrations[version - 1] + string.Create(CultureInfo.InvariantCulture,
                $"\nINSERT INTO guardrail_audit_schema (version) VALUES ({version});"), cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return found;
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM guardrail_audit_schema;", connection, transaction);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
