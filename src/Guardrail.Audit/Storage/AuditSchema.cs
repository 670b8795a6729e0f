using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Guardrail.Audit.Storage;

/// <summary>The audit database schema and its migrations, tracked in SQLite's <c>user_version</c>.</summary>
/// <remarks>
/// Each migration moves the schema from version N-1 to N inside one transaction together with the version bump, so
/// a crash mid-migration leaves the previous version intact. Migrations are append-only: a released one is never
/// edited, a change is a new entry.
/// </remarks>
internal static class AuditSchema
{
    /// <summary>The version this build writes and reads.</summary>
    public static int CurrentVersion => Migrations.Length;

    private static readonly string[] Migrations =
    [
        // 1: decisions, their categories (for indexed category filters and stats), and full-text search over content.
        """
        CREATE TABLE decisions (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            time_ticks INTEGER NOT NULL,
            tenant TEXT NOT NULL,
            key_id TEXT,
            route TEXT NOT NULL,
            model TEXT NOT NULL,
            direction TEXT NOT NULL,
            verdict TEXT NOT NULL,
            action TEXT NOT NULL,
            categories TEXT NOT NULL,
            unsafe_probability REAL NOT NULL,
            threshold REAL NOT NULL,
            policy_id TEXT NOT NULL,
            policy_version TEXT NOT NULL,
            shadow_action TEXT,
            classifier_model TEXT,
            latency_ticks INTEGER NOT NULL,
            cache_hit INTEGER NOT NULL,
            truncated INTEGER NOT NULL,
            request_id TEXT,
            content TEXT,
            content_retention TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            label TEXT,
            label_categories TEXT,
            reviewer TEXT,
            label_note TEXT,
            labelled_at_ticks INTEGER
        );
        CREATE INDEX ix_decisions_time ON decisions (time_ticks);
        CREATE INDEX ix_decisions_tenant ON decisions (tenant, id);
        CREATE INDEX ix_decisions_action ON decisions (action, id);
        CREATE INDEX ix_decisions_policy ON decisions (policy_id, id);
        CREATE INDEX ix_decisions_label ON decisions (label, id);
        CREATE TABLE decision_categories (
            code TEXT NOT NULL,
            decision_seq INTEGER NOT NULL,
            PRIMARY KEY (code, decision_seq)
        ) WITHOUT ROWID;
        CREATE INDEX ix_decision_categories_seq ON decision_categories (decision_seq);
        CREATE VIRTUAL TABLE decisions_fts USING fts5 (
            content, content='decisions', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER decisions_after_insert AFTER INSERT ON decisions
        BEGIN
            INSERT OR IGNORE INTO decision_categories (code, decision_seq)
                SELECT value, new.seq FROM json_each(new.categories);
            INSERT INTO decisions_fts (rowid, content) SELECT new.seq, new.content WHERE new.content IS NOT NULL;
        END;
        CREATE TRIGGER decisions_after_delete AFTER DELETE ON decisions
        BEGIN
            DELETE FROM decision_categories WHERE decision_seq = old.seq;
            INSERT INTO decisions_fts (decisions_fts, rowid, content)
                SELECT 'delete', old.seq, old.content WHERE old.content IS NOT NULL;
        END;
        """,

        // 2: the request's trace id, the remote classifier endpoint that answered, and why a request was refused
        // before any check (a rate limit).
        """
        ALTER TABLE decisions ADD COLUMN trace_id TEXT;
        ALTER TABLE decisions ADD COLUMN classifier_endpoint TEXT;
        ALTER TABLE decisions ADD COLUMN refusal TEXT;
        CREATE INDEX ix_decisions_trace ON decisions (trace_id) WHERE trace_id IS NOT NULL;
        """,

        // 3: the admin-action trail: who listed, read, labelled or exported what, and when.
        """
        CREATE TABLE admin_actions (
            seq INTEGER PRIMARY KEY,
            time_ticks INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT
        );
        CREATE INDEX ix_admin_actions_key ON admin_actions (key_id, seq);
        """,
    ];

    /// <summary>Brings the database to <see cref="CurrentVersion"/>; returns the version it found.</summary>
    /// <exception cref="InvalidOperationException">The database was written by a newer build.</exception>
    public static int Migrate(SqliteConnection connection) => Migrate(connection, CurrentVersion);

    /// <summary>Brings the database to <paramref name="targetVersion"/> (tests make older databases with it).</summary>
    internal static int Migrate(SqliteConnection connection, int targetVersion)
    {
        var found = ReadVersion(connection);
        if (found > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The audit database has schema version {found}, newer than this build's {CurrentVersion}. " +
                "Run a Guardrail version at least as new as the one that wrote it.");
        }

        for (var version = found + 1; version <= targetVersion; version++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // PRAGMA takes no parameters; the value is an integer we produce.
            command.CommandText = Migrations[version - 1] +
                string.Create(CultureInfo.InvariantCulture, $";\nPRAGMA user_version = {version};");
            command.ExecuteNonQuery();
            transaction.Commit();
        }

        return found;
    }

    public static int ReadVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
