using System.Collections.Concurrent;
using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Cli.Evaluation;
using Guardrail.Conversations;
using Guardrail.Diagnostics;
using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Native;
using Guardrail.Policies;
using Guardrail.RemoteClassification;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail eval --model FILE --set FILE</c>: how well a Llama Guard model and a policy answer a labelled set,
/// through the gateway's own classifier and policy decision (or <c>--remote URL --tokenizer FILE</c>: the same through
/// the gateway's remote classifier, on a Llama Guard server); <c>guardrail eval --compare A.json B.json</c>: two runs
/// side by side. Exit codes: 0 done, 1 the model or the policies could not be loaded, 2 bad arguments or a
/// malformed set or report (every problem with file and line).
/// </summary>
internal static class EvalCommand
{
    private const int Ok = 0;
    private const int LoadFailed = 1;
    private const int Usage = 2;

    /// <summary>The environment variable that holds the remote server's API key (kept off the command line and out of <c>ps</c>).</summary>
    internal const string RemoteKeyVariable = "GUARDRAIL_REMOTE_API_KEY";

    public static Command Create(ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var time = timeProvider ?? TimeProvider.System;
        var model = new Option<FileInfo>("--model") { Description = "The Llama Guard 3 GGUF file." };
        var remote = new Option<string[]>("--remote")
        {
            Description = $"Classify on this Llama Guard server instead (base URL of an OpenAI-compatible /v1/completions that returns logprobs: guardrail serve, llama.cpp's server, vLLM); repeat it for a pool, balanced as the gateway balances; the key from {RemoteKeyVariable}.",
        };
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "With --remote: a GGUF file with the Llama Guard 3 tokenizer (the model file, or llama.cpp's ggml-vocab-llama-bpe.gguf); only its vocabulary is loaded." };
        var set = new Option<FileInfo>("--set")
        {
            Description = "The evaluation set: JSON Lines (as `guardrail audit export --format eval` writes) or CSV (.csv).",
        };
        var policy = new Option<string>("--policy") { Description = "The policy id (default: the default policy)." };
        var policies = new Option<DirectoryInfo>("--policies")
        {
            Description = "The policies folder (default: ./policies).",
            DefaultValueFactory = _ => new DirectoryInfo("policies"),
        };
        var taxonomy = new Option<DirectoryInfo>("--taxonomy") { Description = "The taxonomy folder (default: the 'taxonomy' folder beside the policies folder)." };
        var threshold = new Option<double?>("--threshold") { Description = "Use this threshold instead of the policy's (between 0 and 1)." };
        var direction = new Option<string>("--direction") { Description = "Only items of this direction: prompt or response (default: both)." };
        direction.AcceptOnlyFromAmong("prompt", "response");
        var targetFpr = new Option<double?>("--target-fpr")
        {
            Description = "Recommend the threshold with the highest recall whose false-positive rate is at most this (default: the threshold that maximises F1).",
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Where report.md, eval.json and the curves go (default: ./eval-report).",
            DefaultValueFactory = _ => new DirectoryInfo("eval-report"),
        };
        var contextSize = new Option<int>("--context") { Description = "Tokens per check (default 4096).", DefaultValueFactory = _ => 4096 };
        var batch = new Option<int>("--batch") { Description = "Checks decoded together (default 4; 1 to 64).", DefaultValueFactory = _ => 4 };
        var threads = EngineOptions.Threads();
        var gpuLayers = EngineOptions.GpuLayers(-1);
        var compare = new Option<FileInfo[]>("--compare")
        {
            Description = "Compare two runs' eval.json files instead of running: A.json B.json.",
            Arity = new ArgumentArity(2, 2),
            AllowMultipleArgumentsPerToken = true,
        };

        var command = new Command("eval", "Measure a Llama Guard model and a policy on a labelled evaluation set, or compare two runs.")
        {
            model, remote, tokenizer, set, policy, policies, taxonomy, threshold, direction, targetFpr, output, contextSize, batch, threads, gpuLayers, compare,
        };
        command.Validators.Add(result =>
        {
            var comparing = result.GetResult(compare) is not null;
            var remoting = result.GetResult(remote) is not null;
            if (!comparing && ((result.GetResult(model) is null && !remoting) || result.GetResult(set) is null))
            {
                result.AddError("--model and --set are required (or --remote URL instead of --model, or --compare A.json B.json).");
            }

            if (remoting && result.GetResult(model) is not null)
            {
                result.AddError("--model and --remote exclude each other: classify in process or on the server.");
            }

            if (remoting && result.GetResult(tokenizer) is null)
            {
                result.AddError("--remote needs --tokenizer FILE: prompts are tokenized here and sent as token ids.");
            }

            foreach (var url in result.GetValue(remote) ?? [])
            {
                if (!(Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"))
                {
                    result.AddError($"--remote '{url}' is not an absolute http or https URL.");
                }
            }

            if (result.GetValue(threshold) is { } t && t is not (> 0 and < 1))
            {
                result.AddError($"--threshold {t.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1 (exclusive), as a policy's threshold must be.");
            }

            if (result.GetValue(targetFpr) is { } f && f is not (>= 0 and <= 1))
            {
                result.AddError($"--target-fpr {f.ToString(CultureInfo.InvariantCulture)} is not a rate between 0 and 1.");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (parse.GetResult(compare) is not null && parse.GetValue(compare) is { Length: 2 } files)
            {
                return await CompareAsync(files[0], files[1], stdout, stderr, cancellationToken);
            }

            // Range checks here, not in a validator: a validator does not see the options' defaults.
            var problems = new List<string>();
            if (parse.GetValue(batch) is not (>= 1 and <= 64))
            {
                problems.Add($"--batch {parse.GetValue(batch).ToString(CultureInfo.InvariantCulture)} is outside 1 to 64.");
            }

            if (parse.GetValue(contextSize) is not (>= 512 and <= 131072))
            {
                problems.Add($"--context {parse.GetValue(contextSize).ToString(CultureInfo.InvariantCulture)} is outside 512 to 131072.");
            }

            if (parse.GetValue(threads) < 0)
            {
                problems.Add("--threads is a count of CPU threads (0: all cores), not negative.");
            }

            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await stderr.WriteLineAsync($"error: {problem}");
                }

                return Usage;
            }

            var request = new EvalRequest(
                [.. (parse.GetValue(remote) ?? []).Select(static url => new Uri(url, UriKind.Absolute))],
                parse.GetValue(tokenizer)?.FullName,
                parse.GetValue(set)!.FullName,
                parse.GetValue(policy),
                parse.GetValue(policies)!,
                parse.GetValue(taxonomy),
                parse.GetValue(threshold),
                parse.GetValue(direction) is { } d && AuditNames.TryParseDirection(d, out var parsed) ? parsed : null,
                parse.GetValue(targetFpr),
                parse.GetValue(output)!.FullName,
                new LlamaGuardClassifierOptions
                {
                    ModelPath = parse.GetValue(model)?.FullName ?? string.Empty,
                    ContextSize = parse.GetValue(contextSize),
                    MaxBatchSequences = parse.GetValue(batch),
                    Threads = parse.GetValue(threads),
                    GpuLayers = parse.GetValue(gpuLayers),
                    // A set is one long run: a check waits behind the whole queue, not a client's patience.
                    RequestTimeout = TimeSpan.FromHours(1),
                });
            return await RunAsync(request, loggerFactory, time, stdout, stderr, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(EvalRequest request, ILoggerFactory loggerFactory, TimeProvider time, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        IReadOnlyList<EvaluationItem> items;
        try
        {
            items = EvaluationSetReader.Read(request.SetPath);
        }
        catch (FileValidationException e)
        {
            foreach (var error in e.Errors)
            {
                await stderr.WriteLineAsync($"error: {error}");
            }

            return Usage;
        }
        catch (IOException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return Usage;
        }

        if (request.Direction is { } only)
        {
            items = [.. items.Where(i => i.Direction == only)];
            if (items.Count == 0)
            {
                await stderr.WriteLineAsync($"error: {request.SetPath} holds no {only.ToWire()} items.");
                return Usage;
            }
        }

        var loaded = PolicyLoader.LoadDirectories(
            request.Policies.FullName,
            request.Taxonomy?.FullName ?? Path.Combine(request.Policies.Parent?.FullName ?? ".", "taxonomy"));
        if (loaded.Value is not { } snapshot || loaded.Errors.Count > 0)
        {
            foreach (var error in loaded.Errors)
            {
                await stderr.WriteLineAsync($"error: {error}");
            }

            return LoadFailed;
        }

        var policy = request.PolicyId is null ? snapshot.Default : snapshot.Find(request.PolicyId);
        if (policy is null)
        {
            await stderr.WriteLineAsync($"error: no policy '{request.PolicyId}'; the policies are {string.Join(", ", snapshot.Policies.Select(p => p.Id))}.");
            return Usage;
        }

        if (request.Threshold is { } threshold)
        {
            policy = policy with { Threshold = threshold };
        }

        foreach (var unchecked_ in items.Select(i => i.Direction).Distinct().Where(d => !policy.Checks(d)))
        {
            await stderr.WriteLineAsync($"warning: policy '{policy.Id}' does not check {unchecked_.ToWire()}s; the gateway allows them all, and so does this evaluation.");
        }

        EvalClassifier classifier;
        try
        {
            classifier = Load(request, loggerFactory, time, stderr, cancellationToken);
        }
        catch (Exception e) when (ModelLoadErrors.AreReported(e))
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return LoadFailed;
        }

        await using (classifier)
        {
            var runner = new EvaluationRunner(classifier.Classifier, policy);
            if (runner.Categories.Count == 0)
            {
                await stderr.WriteLineAsync($"error: policy '{policy.Id}' enables no category that {classifier.Classifier.Variant.Id} was trained on.");
                return Usage;
            }

            classifier.Local?.ResetPerformance();
            var started = time.GetTimestamp();
            IReadOnlyList<EvaluatedItem> answers;
            using (var progress = ProgressBar.ForTerminal(stderr, "Classifying"))
            {
                answers = await runner.RunAsync(
                    items,
                    request.Classifier.MaxBatchSequences,
                    progress is null ? null : done => progress.Report(done, items.Count),
                    cancellationToken);
            }

            var seconds = time.GetElapsedTime(started).TotalSeconds;
            var performance = classifier.Local?.Performance;
            var run = new EvaluationRun
            {
                Model = classifier.Description,
                Variant = classifier.Classifier.Variant.Id,
                PolicyId = policy.Id,
                PolicyVersion = policy.ContentHash,
                Threshold = policy.Threshold,
                CategoriesSent = [.. runner.Categories.Select(c => c.Code)],
                SetFile = request.SetPath,
                SetSha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(request.SetPath, cancellationToken))),
                Direction = request.Direction?.ToWire() ?? "all",
                Time = time.GetUtcNow(),
                Seconds = seconds,
                ItemsPerSecond = seconds > 0 ? items.Count / seconds : 0,
                // Decoding on a remote server is not seen from here.
                DecodeSeconds = performance is { } p ? (p.PromptEvalMilliseconds + p.EvalMilliseconds) / 1000 : 0,
            };
            var report = EvaluationScorer.Score(run, answers, policy.Taxonomy, request.TargetFalsePositiveRate);
            await WriteAsync(report, request.OutputDirectory, cancellationToken);
            await stdout.WriteAsync(Summary(report, request.OutputDirectory));
            if (classifier.RemoteTimings is { } timings)
            {
                await stdout.WriteLineAsync(RemoteTimingLine(timings));
            }

            return Ok;
        }
    }

    /// <summary>The in-process engine from <c>--model</c>, or the remote classifier on <c>--remote</c> with a vocabulary-only tokenizer.</summary>
    private static EvalClassifier Load(EvalRequest request, ILoggerFactory loggerFactory, TimeProvider time, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (request.Remotes.Count > 0)
        {
            var vocabulary = LlamaGuardVocabulary.Load(request.TokenizerPath!, new NativeRuntimeOptions { UseGpu = false }, loggerFactory);
            var key = Environment.GetEnvironmentVariable(RemoteKeyVariable) is { Length: > 0 } k ? k : null;
            var options = new RemoteClassifierOptions
            {
                Endpoints = [.. request.Remotes.Select(url => new RemoteEndpointOptions { Url = url.ToString(), ApiKey = key })],
                TokenizerPath = request.TokenizerPath,
                // A set is one long run against a server that may be busy: patience, not a client's deadline.
                AttemptTimeout = TimeSpan.FromMinutes(10),
            };
            try
            {
                var pool = new RemoteGuardClassifier(options, vocabulary, request.Classifier.ContextSize, time: time);
                var timings = new ConcurrentQueue<(TimeSpan Check, TimeSpan? Server)>();
                pool.CheckObserver = (_, check, server) => timings.Enqueue((check, server));
                return new EvalClassifier(pool, $"{vocabulary.Name} at {string.Join(", ", options.Endpoints.Select(e => e.Name))}", null, async () =>
                {
                    await pool.DisposeAsync().ConfigureAwait(false);
                    vocabulary.Dispose();
                })
                { RemoteTimings = timings };
            }
            catch
            {
                vocabulary.Dispose();
                throw;
            }
        }

        using var loading = ProgressBar.ForTerminal(stderr, "Loading model");
        var classifier = LlamaGuardClassifier.Load(
            request.Classifier,
            new NativeRuntimeOptions { UseGpu = request.Classifier.GpuLayers != 0 },
            loggerFactory,
            loading is null ? null : loading.Report,
            time,
            cancellationToken);
        return new EvalClassifier(classifier, classifier.ModelDescription, classifier, () =>
        {
            classifier.Dispose();
            return ValueTask.CompletedTask;
        });
    }

    private static async Task WriteAsync(EvaluationReport report, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        await File.WriteAllTextAsync(Path.Combine(directory, "eval.json"), report.ToJson() + "\n", utf8, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.md"), MarkdownReport.Render(report), utf8, cancellationToken);
        CurvePlots.Write(report, directory);
    }

    private static string Summary(EvaluationReport report, string directory)
    {
        var o = report.Overall;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{report.Items.Count} items ({report.Errors} errors), {MarkdownReport.Number(report.Run.ItemsPerSecond, "0.00")} items/s: precision {MarkdownReport.Number(o.Precision)}, recall {MarkdownReport.Number(o.Recall)}, F1 {MarkdownReport.Number(o.F1)}, false-positive rate {MarkdownReport.Number(o.FalsePositiveRate)} at threshold {MarkdownReport.Number(report.Run.Threshold)}\n");
        text.Append(report.Recommendation is { } r
            ? string.Create(CultureInfo.InvariantCulture, $"recommended threshold ({r.Rule}): {r.Threshold.ToString("R", CultureInfo.InvariantCulture)} (F1 {MarkdownReport.Number(r.Measures.F1)}, false-positive rate {MarkdownReport.Number(r.Measures.FalsePositiveRate)})\n")
            : "no threshold recommended\n");
        text.Append(CultureInfo.InvariantCulture, $"{report.Mistakes.Count()} items to review; report: {Path.Combine(directory, "report.md")}\n");
        return text.ToString();
    }

    /// <summary>What the pool client adds per check over the servers' own time (their <c>Server-Timing</c>), p50 and p99.</summary>
    internal static string RemoteTimingLine(IEnumerable<(TimeSpan Check, TimeSpan? Server)> timings)
    {
        var all = timings.ToList();
        var timed = all.Where(static t => t.Server is not null).ToList();
        if (timed.Count == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Remote: {all.Count} checks answered; the servers sent no Server-Timing, so their own time is not known here.");
        }

        double[] Sorted(Func<(TimeSpan Check, TimeSpan? Server), double> value) => [.. timed.Select(value).Order()];
        var added = Sorted(static t => (t.Check - t.Server!.Value).TotalMilliseconds);
        var check = Sorted(static t => t.Check.TotalMilliseconds);
        var server = Sorted(static t => t.Server!.Value.TotalMilliseconds);
        return string.Create(CultureInfo.InvariantCulture,
            $"Remote: {timed.Count} of {all.Count} checks timed by their server; added per check over the server's own time p50 {BenchCommand.Percentile(added, 0.50):0.000} ms, p99 {BenchCommand.Percentile(added, 0.99):0.000} ms (check p50 {BenchCommand.Percentile(check, 0.50):0.00} ms, p99 {BenchCommand.Percentile(check, 0.99):0.00} ms; server p50 {BenchCommand.Percentile(server, 0.50):0.00} ms, p99 {BenchCommand.Percentile(server, 0.99):0.00} ms)");
    }

    private static async Task<int> CompareAsync(FileInfo a, FileInfo b, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        try
        {
            var first = EvaluationReport.FromJson(await File.ReadAllTextAsync(a.FullName, cancellationToken), a.FullName);
            var second = EvaluationReport.FromJson(await File.ReadAllTextAsync(b.FullName, cancellationToken), b.FullName);
            await stdout.WriteAsync(RunComparison.Render(first, second, a.FullName, b.FullName));
            return Ok;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return Usage;
        }
    }

    /// <summary>What classifies a run: the seam, its description for the report, the engine when in process, and how to free it.</summary>
    private sealed class EvalClassifier(IGuardClassifier classifier, string description, LlamaGuardClassifier? local, Func<ValueTask> dispose) : IAsyncDisposable
    {
        public IGuardClassifier Classifier => classifier;

        public string Description => description;

        public LlamaGuardClassifier? Local => local;

        /// <summary>With <c>--remote</c>: each answered check's time here and its server's own time.</summary>
        public ConcurrentQueue<(TimeSpan Check, TimeSpan? Server)>? RemoteTimings { get; init; }

        public ValueTask DisposeAsync() => dispose();
    }

    private sealed record EvalRequest(
        IReadOnlyList<Uri> Remotes,
        string? TokenizerPath,
        string SetPath,
        string? PolicyId,
        DirectoryInfo Policies,
        DirectoryInfo? Taxonomy,
        double? Threshold,
        CheckDirection? Direction,
        double? TargetFalsePositiveRate,
        string OutputDirectory,
        LlamaGuardClassifierOptions Classifier);
}
