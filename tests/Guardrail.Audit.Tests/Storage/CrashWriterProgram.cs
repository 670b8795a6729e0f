using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Audit.Tests.Writing;
using Guardrail.Auditing;

namespace Guardrail.Audit.Tests.Storage;

/// <summary>Entry point of the test assembly. Run as <c>dotnet Guardrail.Audit.Tests.dll crash-writer &lt;db&gt;</c> it
/// becomes the child process the crash test kills: it writes Full-durability records from several producers forever
/// and prints each id once its write has returned, which is the moment the gateway would send a refusal.
/// <c>writer-benchmark</c> runs <see cref="WriterBenchmark"/>.</summary>
public static class CrashWriterProgram
{
    public const string Verb = "crash-writer";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length >= 1 && args[0] == WriterBenchmark.Verb)
        {
            return await WriterBenchmark.RunAsync(args[1..]);
        }

        if (args.Length != 2 || args[0] != Verb)
        {
            await Console.Error.WriteLineAsync($"usage: {Verb} <database path> | {WriterBenchmark.Verb} [records] [producers] [retention]");
            return 2;
        }

        var store = await AuditStore.OpenAsync(new AuditStoreOptions
        {
            DatabasePath = args[1],
            ContentRetention = ContentRetention.Full,
            PurgeInterval = TimeSpan.Zero,
        });
        var output = Console.Out;
        var gate = new Lock();
        var ids = new AuditIdGenerator(TimeProvider.System);
        // Never returns: the parent ends this process with SIGKILL, mid-write.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(producer => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var record = AuditRecords.Simple(content: $"producer {producer} record {i}", ids: ids);
                // Normal writes in between keep the queue busy, so the kill lands in the middle of batches.
                await store.WriteAsync(AuditRecords.Simple(ids: ids), AuditDurability.Normal, CancellationToken.None);
                await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
                lock (gate)
                {
                    output.WriteLine(record.Id);
                }
            }
        })));
        return 0;
    }
}
