// What one audit insert costs by part: the gateway's SQLite schema (its migrations, read from AuditSchema.cs), then
// the same inserts with one part removed at a time: the full-text insert, the categories trigger, the secondary
// indexes; and FTS5 with detail=none and detail=column. Batches of 1,000 in one transaction, WAL and synchronous=FULL
// as the store opens them, ids in increasing order (decision ids are ULIDs), 30-word content.
// Usage: dotnet run benchmarks/audit/insert-cost.cs [records]   (default 50000; package versions from the repository's
// Directory.Packages.props). Numbers, not a test.
#:package Microsoft.Data.Sqlite
#:package SQLitePCLRaw.bundle_e_sqlite3
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

var records = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50_000;
var source = File.ReadAllText(Path.Combine(AppContext.GetData("EntryPointFileDirectoryPath") as string ?? ".", "../../src/Guardrail.Audit/Storage/AuditSchema.cs"));
// The migrations are the raw string literals of the Migrations array, in order.
var migrations = source[source.IndexOf("Migrations =", StringComparison.Ordinal)..].Split("\"\"\"").Where((_, i) => i % 2 == 1).Take(3).ToArray();
var schema = string.Join(";\n", migrations);

const string FtsInsert = "INSERT INTO decisions_fts (rowid, content) SELECT new.seq, new.content WHERE new.content IS NOT NULL;";
const string CategoriesInsert = "INSERT OR IGNORE INTO decision_categories (code, decision_seq)";
string[] secondary = ["ix_decisions_time", "ix_decisions_tenant", "ix_decisions_action", "ix_decisions_policy", "ix_decisions_label"];
var variants = new (string Name, Func<string, string> Edit)[]
{
    ("everything", s => s),
    ("no full-text insert", s => s.Replace(FtsInsert, "", StringComparison.Ordinal)),
    ("no categories trigger", s => Without(s, CategoriesInsert, "json_each(new.categories);")),
    ("no secondary indexes", s => secondary.Aggregate(s, (text, index) => Without(text, "CREATE INDEX " + index + " ", ";"))),
    ("FTS5 detail=none", s => s.Replace("content='decisions',", "content='decisions', detail=none,", StringComparison.Ordinal)),
    ("FTS5 detail=column", s => s.Replace("content='decisions',", "content='decisions', detail=column,", StringComparison.Ordinal)),
};

foreach (var (name, edit) in variants)
{
    var edited = edit(schema);
    if (!string.Equals(name, "everything", StringComparison.Ordinal) && string.Equals(edited, schema, StringComparison.Ordinal))
    {
        throw new InvalidOperationException($"'{name}' changed nothing: the schema no longer has what it removes.");
    }

    Console.WriteLine($"{name}: {Measure(edited, records):0} records/s");
}

static string Without(string text, string start, string end)
{
    var from = text.IndexOf(start, StringComparison.Ordinal);
    return from < 0 ? text : text.Remove(from, text.IndexOf(end, from, StringComparison.Ordinal) + end.Length - from);
}

static double Measure(string schema, int records)
{
    var path = Path.Combine(Path.GetTempPath(), $"audit-insert-cost-{Environment.ProcessId}.db");
    foreach (var file in new[] { path, path + "-wal", path + "-shm" })
    {
        File.Delete(file);
    }

    using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
    connection.Open();
    using (var setup = connection.CreateCommand())
    {
        setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;\n" + schema;
        setup.ExecuteNonQuery();
    }

    string[] columns = ["id", "time_ticks", "tenant", "key_id", "route", "model", "direction", "verdict", "action", "categories", "unsafe_probability", "threshold", "policy_id", "policy_version", "classifier_model", "latency_ticks", "cache_hit", "truncated", "request_id", "content", "content_retention", "content_hash", "trace_id"];
    using var insert = connection.CreateCommand();
    insert.CommandText = $"INSERT INTO decisions ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "$" + c))})";
    foreach (var column in columns)
    {
        insert.Parameters.Add(new SqliteParameter { ParameterName = "$" + column });
    }

    string[] words = ["the", "weather", "trip", "museum", "coffee", "tickets", "forest", "spring", "breakfast", "explain", "please", "how", "do", "I", "cook", "a", "simple", "meal"];
    var random = new Random(1);
    var clock = Stopwatch.StartNew();
    for (var batch = 0; batch * 1000 < records; batch++)
    {
        using var transaction = connection.BeginTransaction();
        insert.Transaction = transaction;
        for (var i = batch * 1000; i < Math.Min(records, (batch + 1) * 1000); i++)
        {
            object[] values =
            [
                i.ToString("D26", CultureInfo.InvariantCulture), DateTime.UtcNow.Ticks, "tenant-a", "key-1", "chat", "llama-3-8b",
                i % 2 == 0 ? "prompt" : "response", "safe", "allow", i % 10 == 0 ? "[\"S1\"]" : "[]", 0.01, 0.5, "default", "1",
                "llama-guard", 1234L, 1, 0, Guid.NewGuid().ToString("N"),
                string.Join(' ', Enumerable.Range(0, 30).Select(_ => words[random.Next(words.Length)])), "redacted",
                Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), Guid.NewGuid().ToString("N"),
            ];
            for (var k = 0; k < values.Length; k++)
            {
                insert.Parameters[k].Value = values[k];
            }

            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    return records / clock.Elapsed.TotalSeconds;
}
