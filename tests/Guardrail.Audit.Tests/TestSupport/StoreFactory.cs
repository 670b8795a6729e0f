using Guardrail.Auditing;

namespace Guardrail.Audit.Tests.TestSupport;

/// <summary>Opens stores in a temp directory with test-friendly defaults (full content retention, no purge).</summary>
internal static class StoreFactory
{
    public static Task<SqliteAuditStore> OpenAsync(
        TempDirectory directory,
        Func<SqliteAuditStoreOptions, SqliteAuditStoreOptions>? configure = null,
        TimeProvider? timeProvider = null,
        string name = "audit.db",
        Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        var options = new SqliteAuditStoreOptions
        {
            DatabasePath = directory.File(name),
            ContentRetention = ContentRetention.Full,
            PurgeInterval = TimeSpan.Zero,
        };
        return SqliteAuditStore.OpenAsync(configure is null ? options : configure(options), timeProvider, loggerFactory);
    }

    public static async Task WriteAllAsync(SqliteAuditStore store, IEnumerable<AuditRecord> records)
    {
        foreach (var record in records)
        {
            await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
        }
    }
}
