using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Native;
using Guardrail.Taxonomy;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail classify</c>: one Llama Guard verdict for a text, through the same classifier the gateway uses.
/// Exit codes: 0 a verdict (safe or unsafe), 3 an error verdict (the model said something that is not a verdict),
/// 1 the model or taxonomy could not be loaded, 2 bad arguments.
/// </summary>
internal static class ClassifyCommand
{
    public const int ErrorVerdictExitCode = 3;

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(ILoggerFactory loggerFactory, TextReader? standardInput = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var model = new Option<FileInfo>("--model") { Description = "The Llama Guard 3 GGUF file.", Required = true };
        var role = new Option<string>("--role")
        {
            Description = "Whose text it is: 'user' (a prompt check, default) or 'agent' (a response check).",
            DefaultValueFactory = _ => "user",
        };
        role.AcceptOnlyFromAmong("user", "agent");
        var userPrompt = new Option<string>("--prompt")
        {
            Description = "With --role agent: the user message the text answers (default: an empty user turn).",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: verdict, score, categories, latency_ms." };
        var taxonomy = new Option<FileInfo>("--taxonomy")
        {
            Description = "The hazard taxonomy YAML (default: taxonomy/llama-guard-3.yaml shipped with the tool).",
        };
        var categories = new Option<string>("--categories") { Description = "Only these codes, e.g. S1,S10 (default: every category the model knows)." };
        var contextSize = new Option<int>("--context") { Description = "Context size in tokens (default 8192).", DefaultValueFactory = _ => 8192 };
        var gpuLayers = EngineOptions.GpuLayers(-1);
        var text = new Argument<string>("text") { Description = "The text to classify, or - to read it from standard input." };

        var command = new Command("classify", "Classify a text with Llama Guard 3 and print the verdict.")
        {
            model, role, userPrompt, json, taxonomy, categories, contextSize, gpuLayers, text,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var input = parse.GetValue(text)!;
            if (string.Equals(input, "-", StringComparison.Ordinal))
            {
                input = await ReadStandardInputAsync(standardInput, cancellationToken);
            }

            var request = new ClassifyRequest(
                parse.GetValue(model)!.FullName,
                string.Equals(parse.GetValue(role), "agent", StringComparison.Ordinal) ? CheckDirection.Response : CheckDirection.Prompt,
                parse.GetValue(userPrompt),
                input,
                parse.GetValue(taxonomy)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "taxonomy", "llama-guard-3.yaml"),
                parse.GetValue(categories),
                parse.GetValue(contextSize),
                parse.GetValue(gpuLayers),
                parse.GetValue(json));
            return await RunAsync(request, loggerFactory, stdout, stderr, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(ClassifyRequest request, ILoggerFactory loggerFactory, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var taxonomy = TaxonomyLoader.LoadFile(request.TaxonomyPath);
        if (taxonomy.Errors.Count > 0 || taxonomy.Value is null)
        {
            foreach (var error in taxonomy.Errors)
            {
                await stderr.WriteLineAsync($"error: {error}");
            }

            return 1;
        }

        var selected = SelectCategories(taxonomy.Value, request.Categories, out var unknown);
        if (unknown.Count > 0)
        {
            await stderr.WriteLineAsync($"error: unknown category code(s) {string.Join(", ", unknown)}; the taxonomy has {string.Join(", ", taxonomy.Value.Categories.Select(c => c.Code))}.");
            return 2;
        }

        LlamaGuardClassifier classifier;
        try
        {
            using var progress = ProgressBar.ForTerminal(stderr, "Loading model");
            classifier = LlamaGuardClassifier.Load(
                new LlamaGuardClassifierOptions { ModelPath = request.ModelPath, ContextSize = request.ContextSize, GpuLayers = request.GpuLayers },
                new NativeRuntimeOptions { UseGpu = request.GpuLayers != 0 },
                loggerFactory,
                progress is null ? null : progress.Report,
                cancellationToken: cancellationToken);
        }
        catch (Exception e) when (ModelLoadErrors.AreReported(e))
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return 1;
        }

        using (classifier)
        {
            // Only a known variant says which categories it was trained on; an unknown one is sent what was asked.
            var known = classifier.Variant.Select(selected).ToList();
            if (request.Categories is null)
            {
                selected = known;
            }
            else if (known.Count < selected.Count)
            {
                await stderr.WriteLineAsync($"warning: {string.Join(", ", selected.Except(known).Select(c => c.Code))} not known to {classifier.Variant.Id}; its verdicts on them are unreliable.");
            }

            var verdict = await classifier.ClassifyAsync(
                new GuardRequest { Conversation = BuildConversation(request), Direction = request.Direction, Categories = selected },
                cancellationToken);
            await WriteVerdictAsync(stdout, verdict, taxonomy.Value, request.Json);
            return verdict.Outcome == GuardOutcome.Error ? ErrorVerdictExitCode : 0;
        }
    }

    private static Conversation BuildConversation(ClassifyRequest request)
    {
        var builder = new ConversationBuilder();
        if (request.Direction == CheckDirection.Response)
        {
            builder.AddUser(request.UserPrompt ?? string.Empty);
            builder.AddAssistant(request.Text);
        }
        else
        {
            builder.AddUser(request.Text);
        }

        return builder.Build();
    }

    private static List<HazardCategory> SelectCategories(HazardTaxonomy taxonomy, string? codes, out List<string> unknown)
    {
        unknown = [];
        if (string.IsNullOrWhiteSpace(codes))
        {
            return [.. taxonomy.Categories];
        }

        var selected = new List<HazardCategory>();
        foreach (var code in codes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (taxonomy.Find(code.ToUpperInvariant()) is { } category)
            {
                selected.Add(category);
            }
            else
            {
                unknown.Add(code);
            }
        }

        return [.. selected.Distinct().OrderBy(c => c.Number)];
    }

    private static async Task WriteVerdictAsync(TextWriter stdout, GuardVerdict verdict, HazardTaxonomy taxonomy, bool json)
    {
        var categories = verdict.Categories.Select(code => (Code: code, Name: taxonomy.Find(code)?.Name ?? "(not in the taxonomy)")).ToList();
        var verdictName = verdict.Outcome.ToString().ToLowerInvariant();
        if (json)
        {
            var document = new
            {
                verdict = verdictName,
                score = verdict.UnsafeProbability,
                categories = categories.Select(c => new { code = c.Code, name = c.Name }),
                latency_ms = Math.Round(verdict.Latency.TotalMilliseconds, 3),
                truncated = verdict.Truncated,
                model = verdict.ModelId,
                error = verdict.Error,
            };
            await stdout.WriteLineAsync(JsonSerializer.Serialize(document, JsonOptions));
            return;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"verdict:    {verdictName}\n");
        text.Append(CultureInfo.InvariantCulture, $"score:      {(verdict.UnsafeProbability is { } p ? p.ToString("0.######", CultureInfo.InvariantCulture) : "n/a")} (probability of 'unsafe')\n");
        text.Append(CultureInfo.InvariantCulture, $"categories: {(categories.Count == 0 ? "none" : string.Join(", ", categories.Select(c => $"{c.Code} {c.Name}")))}\n");
        if (verdict.Truncated)
        {
            text.Append(CultureInfo.InvariantCulture, $"truncated:  yes ({verdict.DroppedTurns} turn(s) dropped, {verdict.OmittedTokens} token(s) omitted)\n");
        }

        if (verdict.Error is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"error:      {verdict.Error}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"latency:    {verdict.Latency.TotalMilliseconds:0.0} ms\n");
        await stdout.WriteAsync(text.ToString());
    }

    private static async Task<string> ReadStandardInputAsync(TextReader? standardInput, CancellationToken cancellationToken)
    {
        if (standardInput is not null)
        {
            return await standardInput.ReadToEndAsync(cancellationToken);
        }

        // Bytes, then a lenient decoder: invalid UTF-8 becomes U+FFFD rather than an exception.
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        await stdin.CopyToAsync(buffer, cancellationToken);
        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private sealed record ClassifyRequest(
        string ModelPath,
        CheckDirection Direction,
        string? UserPrompt,
        string Text,
        string TaxonomyPath,
        string? Categories,
        int ContextSize,
        int GpuLayers,
        bool Json);
}
