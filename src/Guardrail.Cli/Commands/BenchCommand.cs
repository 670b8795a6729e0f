using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Guardrail.Taxonomy;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail bench classify</c>: checks per second and latency of the classifier engine at several concurrency
/// levels, with llama.cpp's own decode time beside the wall time so that what the binding adds is visible. A
/// benchmark, not a test: it prints numbers and asserts nothing.
/// </summary>
internal static class BenchCommand
{
    private static readonly string[] Words =
    [
        "please", "explain", "how", "the", "weather", "changes", "over", "a", "year", "in", "coastal", "towns", "and", "what",
        "people", "should", "pack", "for", "a", "trip", "to", "the", "mountains", "during", "spring", "with", "children",
        "who", "like", "hiking", "reading", "maps", "cooking", "simple", "meals", "outdoors", "near", "rivers", "lakes",
        "forests", "history", "museums", "trains", "buses", "tickets", "prices", "hotels", "breakfast", "coffee", "tea",
    ];

    public static Command Create(ILoggerFactory loggerFactory)
    {
        var model = new Option<FileInfo>("--model") { Description = "The Llama Guard GGUF to benchmark.", Required = true };
        var concurrency = new Option<string>("--concurrency") { Description = "Comma-separated concurrency levels.", DefaultValueFactory = _ => "1,4,16" };
        var requests = new Option<int>("--requests") { Description = "Checks per concurrency level.", DefaultValueFactory = _ => 32 };
        var noPrefixReuse = new Option<bool>("--no-prefix-reuse") { Description = "Decode every prompt whole (to measure what prefix reuse saves)." };
        var noConversationCache = new Option<bool>("--no-conversation-cache") { Description = "Keep no earlier checks' prompts (to measure what the conversation cache costs single-turn checks)." };
        var contextSize = new Option<int>("--context") { Description = "Tokens per check.", DefaultValueFactory = _ => 1024 };
        var threads = EngineOptions.Threads();
        var gpuLayers = EngineOptions.GpuLayers(0);
        var seed = new Option<int>("--seed") { Description = "Seed of the generated conversations.", DefaultValueFactory = _ => 1 };
        var exportPrompts = new Option<FileInfo>("--export-prompts")
        {
            Description = "Also write every check's prompt tokens, one JSON array per line, so another engine can evaluate the very same prompts.",
        };

        var exportSet = new Option<FileInfo>("--export-set")
        {
            Description = "Also write the conversations as an evaluation set (all expected safe), so `guardrail eval` can run the very same checks.",
        };

        var classify = new Command("classify", "Checks per second and latency p50/p99 of the classifier at several concurrency levels.")
        {
            model, concurrency, requests, noPrefixReuse, noConversationCache, contextSize, threads, gpuLayers, seed, exportPrompts, exportSet,
        };
        classify.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (!TryParseLevels(parse.GetValue(concurrency)!, out var levels) || parse.GetValue(requests) < 1)
            {
                await stderr.WriteLineAsync("error: --concurrency takes positive whole numbers such as 1,4,16, and --requests a positive number.");
                return 2;
            }

            return await ModelLoadErrors.ReportAsync(stderr, () => RunAsync(
                parse.GetValue(model)!.FullName,
                levels,
                parse.GetValue(requests),
                !parse.GetValue(noPrefixReuse),
                !parse.GetValue(noConversationCache),
                parse.GetValue(contextSize),
                parse.GetValue(threads),
                parse.GetValue(gpuLayers),
                parse.GetValue(seed),
                parse.GetValue(exportPrompts)?.FullName,
                parse.GetValue(exportSet)?.FullName,
                loggerFactory,
                stdout,
                cancellationToken));
        });
        return new Command("bench", "Benchmarks (numbers, not tests).") { classify, ChatBench.Create(loggerFactory), GenerateBenchmark.Create(loggerFactory), FairnessBench.Create(loggerFactory) };
    }

    private static async Task<int> RunAsync(
        string modelPath,
        IReadOnlyList<int> levels,
        int requests,
        bool prefixReuse,
        bool conversationCache,
        int contextSize,
        int threads,
        int gpuLayers,
        int seed,
        string? exportPath,
        string? exportSetPath,
        ILoggerFactory loggerFactory,
        TextWriter stdout,
        CancellationToken cancellationToken)
    {
        var taxonomy = ShippedTaxonomy();
        var options = new LlamaGuardClassifierOptions
        {
            ModelPath = modelPath,
            ContextSize = contextSize,
            GpuLayers = gpuLayers,
            Threads = threads,
            PrefixReuse = prefixReuse,
            MaxBatchSequences = Math.Min(64, levels.Max()),
            QueueCapacity = Math.Max(256, levels.Max() * 2),
            RequestTimeout = TimeSpan.FromHours(1),
        };
        using var classifier = LoadClassifier(conversationCache ? options : options with { ConversationCacheTokens = 0 }, loggerFactory, cancellationToken);

        var categories = classifier.Variant.Select(taxonomy.Categories);
        // Each level checks conversations of its own, and the warm-up one of its own, so that no level finds an earlier
        // one's conversations in the conversation cache. The first level's are the ones exported.
        var all = Conversations(requests * levels.Count + 1, seed);
        var firstLevel = all.GetRange(0, requests);

        if (exportPath is not null)
        {
            ExportPrompts(modelPath, firstLevel, categories, contextSize, exportPath);
        }

        if (exportSetPath is not null)
        {
            ExportSet(firstLevel, exportSetPath);
        }

        // One check before measuring: loads weights into caches and fills the prefix cache, as in steady service.
        await classifier.ClassifyAsync(Request(all[^1], categories), cancellationToken);

        var report = new StringBuilder();
        report.Append(CultureInfo.InvariantCulture, $"model: {classifier.ModelDescription}; prefix reuse: {(prefixReuse ? "on" : "off")}; conversation cache: {(conversationCache ? "on" : "off")}; threads: {(threads == 0 ? Environment.ProcessorCount : threads)}; requests per level: {requests}\n");
        report.Append(CultureInfo.InvariantCulture, $"backend: {Backend(gpuLayers)}\n");
        report.Append("concurrency | checks/s | p50 ms | p99 ms | wall s | llama.cpp prompt ms | llama.cpp eval ms | outside llama_decode ms | tokens decoded | tokens reused | largest batch\n");
        report.Append("---|---|---|---|---|---|---|---|---|---|---\n");
        for (var n = 0; n < levels.Count; n++)
        {
            var level = levels[n];
            var conversations = all.GetRange(n * requests, requests);
            classifier.ResetPerformance();
            var before = classifier.Statistics;
            var latencies = new double[requests];
            var next = -1;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, level).Select(async _ =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < requests)
                {
                    var started = Stopwatch.GetTimestamp();
                    await classifier.ClassifyAsync(Request(conversations[index], categories), cancellationToken);
                    latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }));
            wall.Stop();

            var after = classifier.Statistics;
            var performance = classifier.Performance;
            var llamaMs = performance.PromptEvalMilliseconds + performance.EvalMilliseconds;
            Array.Sort(latencies);
            report.Append(CultureInfo.InvariantCulture, $"{level} | {requests / wall.Elapsed.TotalSeconds:0.00} | {Percentile(latencies, 0.50):0.0} | {Percentile(latencies, 0.99):0.0} | {wall.Elapsed.TotalSeconds:0.00} | {performance.PromptEvalMilliseconds:0} | {performance.EvalMilliseconds:0} | {wall.Elapsed.TotalMilliseconds - llamaMs:0} | {after.TokensPrefilled - before.TokensPrefilled + after.TokensGenerated - before.TokensGenerated} | {after.TokensReused - before.TokensReused} | {after.LargestBatch}\n");
        }

        await stdout.WriteAsync(report.ToString());
        return 0;
    }

    private static void ExportPrompts(string modelPath, List<Conversation> conversations, IReadOnlyList<HazardCategory> categories, int contextSize, string path)
    {
        using var vocab = LlamaModel.Load(modelPath, new LlamaModelLoadOptions { VocabOnly = true });
        var tokenizer = new LlamaGuardPromptTokenizer(new LlamaVocabTokenizer(vocab.Vocab));
        using var output = new StreamWriter(path, append: false, new UTF8Encoding(false));
        foreach (var conversation in conversations)
        {
            var prompt = tokenizer.Tokenize(LlamaGuardPromptBuilder.Build(conversation, CheckDirection.Prompt, categories), contextSize - 20);
            output.Write('[');
            output.Write(string.Join(',', prompt.Tokens.Select(t => t.ToString(CultureInfo.InvariantCulture))));
            output.Write("]\n");
        }
    }

    /// <summary>The conversations as evaluation-set lines: one user message each, expected safe (their words are).</summary>
    private static void ExportSet(List<Conversation> conversations, string path)
    {
        using var output = File.Create(path);
        using var json = new Utf8JsonWriter(output);
        for (var i = 0; i < conversations.Count; i++)
        {
            json.Reset();
            json.WriteStartObject();
            json.WriteString("id", string.Create(CultureInfo.InvariantCulture, $"bench-{i + 1}"));
            json.WriteString("direction", "prompt");
            json.WriteString("text", conversations[i].Turns[0].Text);
            json.WriteString("expected", "safe");
            json.WriteEndObject();
            json.Flush();
            output.WriteByte((byte)'\n');
        }
    }

    /// <summary>Where the layers run: the GPU devices the runtime found when layers are offloaded, else the CPU.</summary>
    private static string Backend(int gpuLayers)
    {
        var runtime = NativeRuntime.Current;
        var gpus = runtime?.Devices.Where(d => d.Kind is "Gpu" or "IntegratedGpu").ToList() ?? [];
        return gpuLayers != 0 && gpus.Count > 0
            ? $"GPU {string.Join(", ", gpus.Select(d => $"{d.Name} ({d.Description})"))}, gpu layers {gpuLayers}"
            : "CPU";
    }

    /// <summary>The taxonomy shipped beside the tool: the categories every benchmark checks.</summary>
    internal static HazardTaxonomy ShippedTaxonomy() =>
        TaxonomyLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "taxonomy", "llama-guard-3.yaml")).GetValueOrThrow();

    /// <summary>Loads the classifier a benchmark measures, on the GPU runtime when any layers are offloaded.</summary>
    internal static LlamaGuardClassifier LoadClassifier(LlamaGuardClassifierOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken) =>
        LlamaGuardClassifier.Load(options, new NativeRuntimeOptions { UseGpu = options.GpuLayers != 0 }, loggerFactory, cancellationToken: cancellationToken);

    /// <summary>Writes the report <paramref name="run"/> makes to standard output; a model that cannot be loaded is one line on standard error.</summary>
    internal static Task<int> WriteReportAsync(ParseResult parse, Func<Task<string>> run) =>
        ModelLoadErrors.ReportAsync(parse.InvocationConfiguration.Error, async () =>
        {
            await parse.InvocationConfiguration.Output.WriteAsync(await run());
            return 0;
        });

    internal static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Deterministic single-turn conversations of 20 to 60 words.</summary>
    internal static List<Conversation> Conversations(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => new ConversationBuilder().AddUser(Sentence(random)).Build())];
    }

    /// <summary>20 to 60 everyday words: a message the benchmarks' conversations are made of.</summary>
    internal static string Sentence(Random random) =>
        string.Join(' ', Enumerable.Range(0, random.Next(20, 61)).Select(_ => Words[random.Next(Words.Length)]));

    internal static GuardRequest Request(Conversation conversation, IReadOnlyList<HazardCategory> categories, string? tenant = null) =>
        new() { Conversation = conversation, Direction = CheckDirection.Prompt, Categories = categories, Tenant = tenant };

    internal static bool TryParseLevels(string text, out IReadOnlyList<int> levels)
    {
        var parsed = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var level) || level < 1 || level > 256)
            {
                levels = [];
                return false;
            }

            parsed.Add(level);
        }

        levels = parsed;
        return parsed.Count > 0;
    }
}
