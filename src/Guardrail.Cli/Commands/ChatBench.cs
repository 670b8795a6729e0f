using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Inference;
using Guardrail.Taxonomy;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail bench chat</c>: a chat checked at every turn, as the gateway checks one (the prompt when the user
/// speaks, the response when the backend answers), with the engine's conversation cache on and off. For each check
/// it counts the tokens decoded and the tokens that are new in it (the messages added since the previous check of
/// the same role, plus the closing lines), and reports their ratio and the latency. A benchmark: it prints numbers
/// and asserts nothing.
/// </summary>
internal static class ChatBench
{
    public static Command Create(ILoggerFactory loggerFactory)
    {
        var model = new Option<FileInfo>("--model") { Description = "The Llama Guard GGUF to check with.", Required = true };
        var turns = new Option<int>("--turns") { Description = "Turns of the chat (a user message and an answer each).", DefaultValueFactory = _ => 10 };
        var chats = new Option<int>("--chats") { Description = "Chats, checked one after another.", DefaultValueFactory = _ => 1 };
        var contextSize = new Option<int>("--context") { Description = "Tokens per check.", DefaultValueFactory = _ => 4096 };
        var threads = EngineOptions.Threads();
        var gpuLayers = EngineOptions.GpuLayers(0);
        var seed = new Option<int>("--seed") { Description = "Seed of the generated messages.", DefaultValueFactory = _ => 1 };
        var command = new Command("chat", "Tokens decoded per check and latency of a chat checked at every turn, with the conversation cache on and off.")
        {
            model, turns, chats, contextSize, threads, gpuLayers, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            var settings = new Settings(parse.GetValue(model)!.FullName, parse.GetValue(turns), parse.GetValue(chats), parse.GetValue(contextSize), parse.GetValue(threads), parse.GetValue(gpuLayers), parse.GetValue(seed));
            if (settings.Turns < 2 || settings.Chats < 1)
            {
                await stderr.WriteLineAsync("error: --turns takes 2 or more, --chats 1 or more.");
                return 2;
            }

            return await BenchCommand.WriteReportAsync(parse, () => RunAsync(settings, loggerFactory, cancellationToken));
        });
        return command;
    }

    private static async Task<string> RunAsync(Settings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var taxonomy = BenchCommand.ShippedTaxonomy();
        var checks = Checks(settings);
        var report = new StringBuilder();
        report.Append("conversation cache | checks | tokens in prompts | tokens new | tokens decoded | decoded / new (turns 2+) | p50 ms | p99 ms | mean ms | wall s\n");
        report.Append("---|---|---|---|---|---|---|---|---|---\n");
        string? description = null;
        foreach (var reuse in (bool[])[true, false])
        {
            using var classifier = BenchCommand.LoadClassifier(
                new LlamaGuardClassifierOptions
                {
                    ModelPath = settings.ModelPath,
                    ContextSize = settings.ContextSize,
                    GpuLayers = settings.GpuLayers,
                    Threads = settings.Threads,
                    MaxBatchSequences = 1,
                    ConversationCacheTokens = reuse ? Math.Max(4096, 2 * settings.ContextSize) : 0,
                    RequestTimeout = TimeSpan.FromHours(1),
                },
                loggerFactory,
                cancellationToken);
            description ??= classifier.ModelDescription;
            var categories = classifier.Variant.Select(taxonomy.Categories);
            var lengths = Lengths(settings, checks, categories);

            // One check of another conversation first: the policy prefixes are cached, as in steady service.
            await classifier.ClassifyAsync(new GuardRequest { Conversation = new ConversationBuilder().AddUser("hello").Build(), Direction = CheckDirection.Prompt, Categories = categories }, cancellationToken);
            await classifier.ClassifyAsync(new GuardRequest { Conversation = new ConversationBuilder().AddUser("hello").AddAssistant("hi").Build(), Direction = CheckDirection.Response, Categories = categories }, cancellationToken);

            var latencies = new double[checks.Count];
            long decodedLater = 0, newLater = 0, decodedAll = 0;
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < checks.Count; i++)
            {
                var before = classifier.Statistics.TokensPrefilled;
                var started = Stopwatch.GetTimestamp();
                await classifier.ClassifyAsync(new GuardRequest { Conversation = checks[i].Conversation, Direction = checks[i].Direction, Categories = categories }, cancellationToken);
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var decoded = classifier.Statistics.TokensPrefilled - before;
                decodedAll += decoded;
                if (checks[i].Turn > 0)
                {
                    decodedLater += decoded;
                    newLater += lengths[i].New;
                }
            }

            wall.Stop();
            var mean = latencies.Average();
            Array.Sort(latencies);
            report.Append(CultureInfo.InvariantCulture,
                $"{(reuse ? "on" : "off")} | {checks.Count} | {lengths.Sum(l => l.Prompt)} | {lengths.Sum(l => l.New)} | {decodedAll} | {(double)decodedLater / newLater:0.00} | {BenchCommand.Percentile(latencies, 0.50):0.0} | {BenchCommand.Percentile(latencies, 0.99):0.0} | {mean:0.0} | {wall.Elapsed.TotalSeconds:0.00}\n");
        }

        report.Insert(0, string.Create(CultureInfo.InvariantCulture,
            $"model: {description}; {settings.Chats} chat(s) of {settings.Turns} turns, prompt and response checked at every turn; threads: {(settings.Threads == 0 ? Environment.ProcessorCount : settings.Threads)}\n"));
        return report.ToString();
    }

    /// <summary>Every check in the order the gateway makes them: per turn the prompt check, then the response check.</summary>
    private static List<Check> Checks(Settings settings)
    {
        var random = new Random(settings.Seed);
        var checks = new List<Check>();
        for (var chat = 0; chat < settings.Chats; chat++)
        {
            var builder = new ConversationBuilder();
            for (var turn = 0; turn < settings.Turns; turn++)
            {
                builder.AddUser(BenchCommand.Sentence(random));
                checks.Add(new Check(builder.Build(), CheckDirection.Prompt, turn));
                builder.AddAssistant(BenchCommand.Sentence(random));
                checks.Add(new Check(builder.Build(), CheckDirection.Response, turn));
            }
        }

        return checks;
    }

    /// <summary>Each check's prompt length and its new tokens: all of it for a chat's first check of a role, else what
    /// follows the previous check's conversation (the new messages and the closing lines).</summary>
    private static List<(int Prompt, int New)> Lengths(Settings settings, List<Check> checks, IReadOnlyList<HazardCategory> categories)
    {
        using var vocab = LlamaModel.Load(settings.ModelPath, new LlamaModelLoadOptions { VocabOnly = true });
        var tokenizer = new LlamaGuardPromptTokenizer(new LlamaVocabTokenizer(vocab.Vocab));
        var previousEnd = new Dictionary<CheckDirection, int>();
        var lengths = new List<(int, int)>(checks.Count);
        foreach (var check in checks)
        {
            var prompt = tokenizer.Tokenize(LlamaGuardPromptBuilder.Build(check.Conversation, check.Direction, categories), settings.ContextSize - 20);
            var length = prompt.Tokens.Length;
            lengths.Add((length, check.Turn > 0 ? length - previousEnd[check.Direction] : length));
            previousEnd[check.Direction] = length - prompt.SuffixTokenCount;
        }

        return lengths;
    }

    private sealed record Settings(string ModelPath, int Turns, int Chats, int ContextSize, int Threads, int GpuLayers, int Seed);

    private sealed record Check(Conversation Conversation, CheckDirection Direction, int Turn);
}
