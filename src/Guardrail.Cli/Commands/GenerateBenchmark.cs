using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Guardrail.LlamaCpp.Generation;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail bench generate</c>: aggregate generated tokens per second and time to first token of the generation
/// engine at several concurrency levels (one request per concurrent client, all submitted at once, each generating
/// the same number of tokens from the same prompt tokens), beside llama.cpp's own prefill and decode rates for the
/// same run (<c>llama_perf_context</c>). A benchmark, not a test: it prints numbers and asserts nothing.
/// </summary>
internal static class GenerateBenchmark
{
    private const string PromptText =
        "Write a short story about a lighthouse keeper who finds a message in a bottle on a stormy night, and what the message says about the town across the bay, the people who live there, the ships that pass, and the long winter ahead.";

    public static Command Create(ILoggerFactory loggerFactory)
    {
        var model = new Option<FileInfo>("--model") { Description = "The GGUF to generate with.", Required = true };
        var concurrency = new Option<string>("--concurrency") { Description = "Comma-separated concurrency levels.", DefaultValueFactory = _ => "1,4,16" };
        var tokens = new Option<int>("--tokens") { Description = "Tokens each request generates.", DefaultValueFactory = _ => 128 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length in tokens (a fixed text, cut or repeated).", DefaultValueFactory = _ => 48 };
        var threads = EngineOptions.Threads(2);
        var gpuLayers = EngineOptions.GpuLayers(0);
        var exportPrompt = new Option<FileInfo>("--export-prompt") { Description = "Also write the prompt's token ids as one JSON array, for another engine to start from." };
        var command = new Command("generate", "Generated tokens per second and time to first token of the generation engine at several concurrency levels.")
        {
            model, concurrency, tokens, promptTokens, threads, gpuLayers, exportPrompt,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            if (!BenchCommand.TryParseLevels(parse.GetValue(concurrency)!, out var levels) || parse.GetValue(tokens) < 1 || parse.GetValue(promptTokens) < 1)
            {
                await stderr.WriteLineAsync("error: --concurrency takes positive whole numbers such as 1,4,16; --tokens and --prompt-tokens positive numbers.");
                return 2;
            }

            return await ModelLoadErrors.ReportAsync(stderr, () => RunAsync(
                parse.GetValue(model)!.FullName, levels, parse.GetValue(tokens), parse.GetValue(promptTokens), parse.GetValue(threads), parse.GetValue(gpuLayers),
                parse.GetValue(exportPrompt)?.FullName, loggerFactory, parse.InvocationConfiguration.Output, cancellationToken));
        });
        return command;
    }

    private static async Task<int> RunAsync(
        string modelPath, IReadOnlyList<int> levels, int tokens, int promptTokens, int threads, int gpuLayers, string? exportPath,
        ILoggerFactory loggerFactory, TextWriter stdout, CancellationToken cancellationToken)
    {
        using var engine = GenerationEngine.Load(
            new GenerationEngineOptions
            {
                ModelPath = modelPath,
                Parallel = levels.Max(),
                ContextSize = promptTokens + tokens + 8,
                Threads = threads,
                GpuLayers = gpuLayers,
                QueueCapacity = Math.Max(64, levels.Max()),
                BatchSize = Math.Max(512, levels.Max()),
            },
            new NativeRuntimeOptions { UseGpu = gpuLayers != 0 },
            loggerFactory,
            cancellationToken);
        var text = engine.TokenizeText(PromptText);
        var prompt = Enumerable.Range(0, promptTokens).Select(i => i == 0 ? text[0] : text[1 + ((i - 1) % (text.Length - 1))]).ToArray();
        if (exportPath is not null)
        {
            await File.WriteAllTextAsync(exportPath, "[" + string.Join(',', prompt.Select(t => t.ToString(CultureInfo.InvariantCulture))) + "]\n", cancellationToken);
        }

        var request = new GenerationRequest { PromptTokens = prompt, MaxTokens = tokens, Sampling = new SamplingOptions { Temperature = 0 } };

        // One short generation before measuring: weights into caches, as in steady service.
        await DrainAsync(engine.Generate(request with { MaxTokens = 4 }, cancellationToken), cancellationToken);

        var report = new StringBuilder();
        report.Append(CultureInfo.InvariantCulture, $"model: {engine.ModelName}; threads: {(threads == 0 ? Environment.ProcessorCount : threads)}; prompt: {promptTokens} tokens; completion: {tokens} tokens per request; one request per client\n");
        report.Append("concurrency | tokens generated | wall s | tokens/s (aggregate) | TTFT p50 ms | TTFT max ms | llama.cpp prefill tokens/s | llama.cpp decode tokens/s\n");
        report.Append("---|---|---|---|---|---|---|---\n");
        foreach (var level in levels)
        {
            engine.ResetPerformance();
            var firstToken = new double[level];
            var generated = 0;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, level).Select(async i =>
            {
                var started = Stopwatch.GetTimestamp();
                var stream = engine.Generate(request, cancellationToken);
                await stream.Chunks.WaitToReadAsync(cancellationToken);
                firstToken[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Interlocked.Add(ref generated, await DrainAsync(stream, cancellationToken));
            }));
            wall.Stop();
            var performance = engine.Performance;
            Array.Sort(firstToken);
            report.Append(CultureInfo.InvariantCulture,
                $"{level} | {generated} | {wall.Elapsed.TotalSeconds:0.00} | {generated / wall.Elapsed.TotalSeconds:0.00} | {BenchCommand.Percentile(firstToken, 0.5):0} | {firstToken[^1]:0} | {Rate(performance.PromptTokens, performance.PromptEvalMilliseconds)} | {Rate(performance.EvalTokens, performance.EvalMilliseconds)}\n");
        }

        await stdout.WriteAsync(report.ToString());
        return 0;
    }

    private static string Rate(int tokens, double milliseconds) =>
        milliseconds > 0 ? (tokens * 1000 / milliseconds).ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static async Task<int> DrainAsync(GenerationStream stream, CancellationToken cancellationToken)
    {
        await foreach (var _ in stream.ReadAllAsync(cancellationToken))
        {
        }

        return (await stream.Finished).CompletionTokens;
    }
}
