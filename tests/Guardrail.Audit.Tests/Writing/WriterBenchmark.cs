using System.Diagnostics;
using System.Globalization;
using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Policies;

namespace Guardrail.Audit.Tests.Writing;

/// <summary>Measures sustained decisions per second through the writer in both durability modes:
/// <c>dotnet tests/Guardrail.Audit.Tests/bin/Release/net10.0/Guardrail.Audit.Tests.dll writer-benchmark [records] [producers] [retention] [postgres-connection-string] [full|normal|both]</c>.
/// With a connection string the store is PostgreSQL (several processes may run against the same database at once, as
/// replicas do; <c>benchmarks/audit.sh</c> does); without one, a SQLite file in a temporary directory.</summary>
/// <remarks>Producers stand for concurrent requests: each awaits its own write, as the gateway does, so Full mode
/// measures group commit (many waiters released by one fsync) rather than one fsync per record. Records carry a
/// 600-character conversation with an e-mail address, stored with the default redacted retention unless another is named.</remarks>
internal static class WriterBenchmark
{
    public const string Verb = "writer-benchmark";

    public static async Task<int> RunAsync(string[] args)
    {
        var records = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50_000;
        var producers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var retention = ContentRetention.Redacted;
        if (args.Length > 2 && !AuditNames.TryParseRetention(args[2], out retention))
        {
            await Console.Error.WriteLineAsync("retention must be full, redacted, hash or none");
            return 2;
        }

        var connectionString = args.Length > 3 ? args[3] : "";
        AuditDurability[] modes = (args.Length > 4 ? args[4] : "both") switch
        {
            "full" => [AuditDurability.Full],
            "normal" => [AuditDurability.Normal],
            _ => [AuditDurability.Full, AuditDurability.Normal],
        };
        var content = "user: my address is someone@example.com and I want to know " + new string('x', 540);
        foreach (var durability in modes)
        {
            using var directory = new TempDirectory();
            var store = await AuditStore.OpenAsync(new AuditStoreOptions
            {
                DatabasePath = directory.File("bench.db"),
                ConnectionString = connectionString,
                PurgeInterval = TimeSpan.Zero,
                ContentRetention = retention,
            });
            var ids = new AuditIdGenerator(TimeProvider.System);
            var remaining = records;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, producers).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    var record = AuditRecords.Simple(verdict: GuardOutcome.Unsafe, action: ModerationAction.Block,
                        categories: ["S1"], content: content, ids: ids);
                    await store.WriteAsync(record, durability, CancellationToken.None);
                }
            })));
            // Normal mode is done when everything is on disk, not when it is queued.
            await store.DisposeAsync();
            clock.Stop();
            var stats = store.GetWriterStats();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(store is PostgresAuditStore ? "postgres" : "sqlite"),-8}  {durability,-6}  {records} records, {producers} producers, {retention.ToWire()} content: {records / clock.Elapsed.TotalSeconds:0} records/s " +
                $"({clock.Elapsed.TotalSeconds:0.00} s, {stats.Batches} commits, mean batch {(double)stats.RecordsWritten / stats.Batches:0.0}, " +
                $"largest {stats.LargestBatch}, errors {stats.WriteErrors})"));
        }

        return 0;
    }
}
