using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.LlamaCpp.Classification;
using Guardrail.Taxonomy;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail bench fairness</c>: what one tenant's flood does to another tenant's checks. Tenant A sends at a
/// multiple of what the classifier can check, tenant B one check at a time at a fraction of it; B's latency and
/// failures are reported with A quiet and with A flooding, through the fair queue (one queue per tenant, round
/// robin, a tenant holds at most half the queue) and through one first-come-first-served queue (both tenants
/// under one name, no share limit), as the engine was before. A benchmark: it prints numbers and asserts nothing.
/// </summary>
internal static class FairnessBench
{
    public static Command Create(ILoggerFactory loggerFactory)
    {
        var model = new Option<FileInfo>("--model") { Description = "The Llama Guard GGUF to check with.", Required = true };
        var lightChecks = new Option<int>("--light-checks") { Description = "Checks tenant B sends per run.", DefaultValueFactory = _ => 30 };
        var floodFactor = new Option<double>("--flood-factor") { Description = "Tenant A's rate as a multiple of the measured capacity.", DefaultValueFactory = _ => 10 };
        var lightShare = new Option<double>("--light-share") { Description = "Tenant B's rate as a fraction of the measured capacity.", DefaultValueFactory = _ => 0.1 };
        var batch = new Option<int>("--batch") { Description = "Checks per decode batch (MaxBatchSequences).", DefaultValueFactory = _ => 4 };
        var timeout = new Option<int>("--timeout-seconds") { Description = "Each check's deadline (RequestTimeout).", DefaultValueFactory = _ => 30 };
        var contextSize = new Option<int>("--context") { Description = "Tokens per check.", DefaultValueFactory = _ => 1024 };
        var threads = EngineOptions.Threads();
        var gpuLayers = EngineOptions.GpuLayers(0);
        var command = new Command("fairness", "Tenant B's check latency p50/p99 and failures while tenant A floods the classifier, fair queue against one FIFO queue.")
        {
            model, lightChecks, floodFactor, lightShare, batch, timeout, contextSize, threads, gpuLayers,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            var settings = new Settings(
                parse.GetValue(model)!.FullName,
                parse.GetValue(lightChecks),
                parse.GetValue(floodFactor),
                parse.GetValue(lightShare),
                parse.GetValue(batch),
                TimeSpan.FromSeconds(parse.GetValue(timeout)),
                parse.GetValue(contextSize),
                parse.GetValue(threads),
                parse.GetValue(gpuLayers));
            if (settings.LightChecks < 1 || settings.FloodFactor <= 0 || settings.LightShare <= 0 || settings.Timeout <= TimeSpan.Zero)
            {
                await stderr.WriteLineAsync("error: --light-checks, --flood-factor, --light-share and --timeout-seconds take positive numbers.");
                return 2;
            }

            return await BenchCommand.WriteReportAsync(parse, () => RunAsync(settings, loggerFactory, cancellationToken));
        });
        return command;
    }

    private static async Task<string> RunAsync(Settings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var taxonomy = BenchCommand.ShippedTaxonomy();
        var conversations = BenchCommand.Conversations(64, seed: 1);
        var report = new StringBuilder();
        double? capacity = null;
        report.Append("queue | tenant A | B checks | B p50 ms | B p99 ms | B failed | A sent | A refused | A timed out\n");
        report.Append("---|---|---|---|---|---|---|---|---\n");
        foreach (var fair in (bool[])[true, false])
        {
            using var classifier = BenchCommand.LoadClassifier(
                new LlamaGuardClassifierOptions
                {
                    ModelPath = settings.ModelPath,
                    ContextSize = settings.ContextSize,
                    GpuLayers = settings.GpuLayers,
                    Threads = settings.Threads,
                    MaxBatchSequences = settings.Batch,
                    RequestTimeout = settings.Timeout,
                    TenantQueueShare = fair ? 0.5 : 1,
                },
                loggerFactory,
                cancellationToken);
            var categories = classifier.Variant.Select(taxonomy.Categories);
            capacity ??= await MeasureCapacityAsync(classifier, conversations, categories, settings.Batch, cancellationToken);
            if (fair)
            {
                report.Insert(0, string.Create(CultureInfo.InvariantCulture, $"model: {classifier.ModelDescription}; capacity {capacity:0.0} checks/s at {settings.Batch} per batch; A at {settings.FloodFactor}x, B at {settings.LightShare}x of it; deadline {settings.Timeout.TotalSeconds:0} s\n"));
            }

            foreach (var flooding in (bool[])[false, true])
            {
                // The FIFO queue is the engine without tenants: both send under one name and share one queue.
                var run = await RunOnceAsync(classifier, conversations, categories, settings, capacity.Value, flooding, fair ? "a" : "all", fair ? "b" : "all", cancellationToken);
                report.Append(CultureInfo.InvariantCulture, $"{(fair ? "fair" : "fifo")} | {(flooding ? "flooding" : "quiet")} | {run.Light.Length} | {BenchCommand.Percentile(run.Light, 0.50):0.0} | {BenchCommand.Percentile(run.Light, 0.99):0.0} | {run.LightFailed} | {run.FloodSent} | {run.FloodRefused} | {run.FloodTimedOut}\n");
            }
        }

        return report.ToString();
    }

    /// <summary>Checks per second with the batch kept full: the rate the other rates are multiples of.</summary>
    private static async Task<double> MeasureCapacityAsync(LlamaGuardClassifier classifier, List<Conversation> conversations, IReadOnlyList<HazardCategory> categories, int batch, CancellationToken cancellationToken)
    {
        await classifier.ClassifyAsync(BenchCommand.Request(conversations[0], categories), cancellationToken);
        var checks = batch * 8;
        var next = -1;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, batch).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < checks)
            {
                await classifier.ClassifyAsync(BenchCommand.Request(conversations[index % conversations.Count], categories), cancellationToken);
            }
        }));
        return checks / wall.Elapsed.TotalSeconds;
    }

    private static async Task<Run> RunOnceAsync(
        LlamaGuardClassifier classifier,
        List<Conversation> conversations,
        IReadOnlyList<HazardCategory> categories,
        Settings settings,
        double capacity,
        bool flooding,
        string floodTenant,
        string lightTenant,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var flood = new List<Task<GuardVerdict>>();
        var floodLoop = flooding ? FloodAsync(classifier, conversations, categories, capacity * settings.FloodFactor, floodTenant, flood, stop.Token) : Task.CompletedTask;

        // B: one check at a time, started on a fixed schedule (a check that overruns its slot starts the next at once).
        var interval = TimeSpan.FromSeconds(1 / (capacity * settings.LightShare));
        var latencies = new double[settings.LightChecks];
        var failed = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < settings.LightChecks; i++)
        {
            var due = interval * i;
            if (clock.Elapsed < due)
            {
                await Task.Delay(due - clock.Elapsed, cancellationToken);
            }

            var started = Stopwatch.GetTimestamp();
            var verdict = await classifier.ClassifyAsync(BenchCommand.Request(conversations[i % conversations.Count], categories, lightTenant), cancellationToken);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (verdict.Outcome == GuardOutcome.Error)
            {
                failed++;
            }
        }

        await stop.CancelAsync();
        await floodLoop;
        var floodVerdicts = await Task.WhenAll(flood);
        Array.Sort(latencies);
        return new Run(
            latencies,
            failed,
            floodVerdicts.Length,
            floodVerdicts.Count(static v => v.Outcome == GuardOutcome.Error && v.Error?.Contains("within", StringComparison.Ordinal) != true),
            floodVerdicts.Count(static v => v.Outcome == GuardOutcome.Error && v.Error?.Contains("within", StringComparison.Ordinal) == true));
    }

    // Open loop: checks go out at the given rate whatever happens to them, as from many independent clients.
    private static async Task FloodAsync(LlamaGuardClassifier classifier, List<Conversation> conversations, IReadOnlyList<HazardCategory> categories, double rate, string tenant, List<Task<GuardVerdict>> sent, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            var due = (int)(clock.Elapsed.TotalSeconds * rate);
            while (sent.Count < due)
            {
                sent.Add(classifier.ClassifyAsync(BenchCommand.Request(conversations[sent.Count % conversations.Count], categories, tenant), CancellationToken.None).AsTask());
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private sealed record Settings(string ModelPath, int LightChecks, double FloodFactor, double LightShare, int Batch, TimeSpan Timeout, int ContextSize, int Threads, int GpuLayers);

    private sealed record Run(double[] Light, int LightFailed, int FloodSent, int FloodRefused, int FloodTimedOut);
}
