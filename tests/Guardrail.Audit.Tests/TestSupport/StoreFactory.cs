using Guardrail.Auditing;

namespace Guardrail.Audit.Tests.TestSupport;

/// <summary>Opens stores in a temp directory with test-friendly defaults (full content retention, no purge).</summary>
internal static class StoreFactory
{
    public static async Task<SqliteAuditStore> OpenAsync(
        TempDirectory directory,
        Func<AuditStoreOptions, AuditStoreOptions>? configure = null,
        TimeProvider? timeProvider = null,
        string name = "audit.db",
        Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        var options = new AuditStoreOptions
        {
            DatabasePath = directory.File(name),
            ContentRetention = ContentRetention.Full,
            PurgeInterval = TimeSpan.Zero,
        };
        return (SqliteAuditStore)await AuditStore.OpenAsync(configure is null ? options : configure(options), timeProvider, loggerFactory);
    }

    public static async Task WriteAllAsync(AuditStore store, IEnumerable<AuditRecord> records)
    {
        foreach (var record in records)
        {
            await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
        }
    }
}
