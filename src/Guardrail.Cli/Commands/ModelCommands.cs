using System.CommandLine;
using System.Globalization;
using Guardrail.Cli.Models;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Guardrail.ModelSynthesis;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail model</c>: <c>pull</c>, <c>list</c>, <c>rm</c>, <c>path</c> and <c>catalog</c> manage the models
/// directory (the downloading itself lives in <c>Models/</c>); <c>synth</c> and <c>inspect</c> write and describe
/// GGUF files.
/// </summary>
internal static class ModelCommands
{
    /// <summary>Builds the <c>model</c> command and its subcommands.</summary>
    /// <param name="loggerFactory">Logging for the native runtime (synth).</param>
    /// <param name="environment">The outside world of the models directory commands; the real one when null.</param>
    public static Command Create(ILoggerFactory loggerFactory, ModelCommandEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        environment ??= ModelCommandEnvironment.Default;
        return new Command("model", "Fetch, list, remove, write and describe GGUF models.")
        {
            CreatePull(environment),
            CreateList(environment),
            CreateRemove(environment),
            CreatePath(environment),
            CreateCatalog(environment),
            CreateSynth(loggerFactory),
            CreateInspect(),
        };
    }

    private static Option<string> ModelsDirectoryOption() => new("--models-dir")
    {
        Description = $"The models directory (default: ${ModelDirectory.DirectoryVariable}, else <cache>/models, the cache being $GUARDRAIL_CACHE_DIR or ~/.cache/guardrail).",
    };

    private static Command CreatePull(ModelCommandEnvironment environment)
    {
        var references = new Argument<string[]>("model")
        {
            Description = "A catalogue name (see 'model catalog'), a Hugging Face reference owner/repo/file.gguf, or an https:// URL; several may be given.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var defaults = new Option<bool>("--defaults") { Description = "Pull the catalogue's default guard and instruct models (a one-box start)." };
        var modelsDirectory = ModelsDirectoryOption();
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit of a Hugging Face reference (default main)." };
        var sha256 = new Option<string>("--sha256") { Description = "The SHA-256 the file must have; a file that differs is deleted." };
        var name = new Option<string>("--name") { Description = "The file name to save under (default: the source's file name)." };
        var force = new Option<bool>("--force") { Description = "Download again even if the model is already in the models directory." };
        var token = new Option<string>("--token") { Description = $"Hugging Face token for gated repositories (default: ${ModelCommandEnvironment.TokenVariable}); sent to the Hugging Face endpoint only." };
        var command = new Command(
            "pull",
            "Download GGUF models into the models directory: resumable, verified (checksum, then GGUF header, architecture and Llama 3 vocabulary) before the file takes its name. "
            + "Prints each model's path on stdout. Exit codes: 0 done, 1 refused or failed verification, 2 usage, 69 server unreachable, 75 interrupted (run again to resume).")
        {
            references, defaults, modelsDirectory, revision, sha256, name, force, token,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            try
            {
                var wanted = (parse.GetValue(references) ?? []).ToList();
                if (parse.GetValue(defaults))
                {
                    wanted.AddRange(environment.Catalog.Defaults.Select(e => e.Name));
                }

                var arguments = new ModelReferenceResolver.PullArguments(parse.GetValue(revision), parse.GetValue(sha256), parse.GetValue(name));
                if (wanted.Count == 0)
                {
                    throw new ModelUsageException("Name a model to pull (or --defaults); 'guardrail model catalog' lists the names.");
                }

                if (wanted.Count > 1 && (arguments.Revision ?? arguments.Sha256 ?? arguments.Name) is not null)
                {
                    throw new ModelUsageException("--revision, --sha256 and --name apply to one model; pull the models one at a time to use them.");
                }

                var endpoint = environment.HuggingFaceEndpoint();
                var sources = wanted.Distinct(StringComparer.Ordinal).Select(r => ModelReferenceResolver.Resolve(r, arguments, environment.Catalog, endpoint)).ToList();
                var directory = ModelDirectory.Resolve(parse.GetValue(modelsDirectory), environment.GetVariable);
                var secret = parse.GetValue(token) ?? environment.GetVariable(ModelCommandEnvironment.TokenVariable);
                using var http = new HttpClient(environment.CreateHandler(environment.DownloadOptions), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
                var puller = new ModelPuller(directory, new ModelDownloader(http, environment.DownloadOptions, environment.Time), environment, stdout, stderr);
                foreach (var source in sources)
                {
                    var exitCode = await puller.PullAsync(source, string.IsNullOrWhiteSpace(secret) ? null : secret.Trim(), parse.GetValue(force), cancellationToken);
                    if (exitCode != ModelExitCodes.Success)
                    {
                        return exitCode;
                    }
                }

                return ModelExitCodes.Success;
            }
            catch (ModelUsageException error)
            {
                return Usage(stderr, error);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                stderr.WriteLine("cancelled; the partial download is kept and the next pull resumes it.");
                return ModelExitCodes.Cancelled;
            }
        });
        return command;
    }

    private static Command CreateList(ModelCommandEnvironment environment)
    {
        var modelsDirectory = ModelsDirectoryOption();
        var json = new Option<bool>("--json") { Description = "One JSON array: name, path, size, architecture, parameters, quantization, catalogue entry, problems." };
        var command = new Command("list", "List the models in the models directory, with size, architecture, parameters, quantization and catalogue entry.") { modelsDirectory, json };
        command.SetAction(parse =>
        {
            var directory = ModelDirectory.Resolve(parse.GetValue(modelsDirectory), environment.GetVariable);
            var models = ModelListing.List(directory, environment.Catalog);
            parse.InvocationConfiguration.Output.Write(parse.GetValue(json) ? ModelListing.ToJson(models) : ModelListing.ListText(models, directory));
            return ModelExitCodes.Success;
        });
        return command;
    }

    private static Command CreateRemove(ModelCommandEnvironment environment)
    {
        var model = new Argument<string>("model") { Description = "A file name as 'model list' shows it, or a catalogue name." };
        var modelsDirectory = ModelsDirectoryOption();
        var command = new Command("rm", "Delete a model (and any unfinished download of it) from the models directory; paths outside it are refused.") { model, modelsDirectory };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var directory = ModelDirectory.Resolve(parse.GetValue(modelsDirectory), environment.GetVariable);
            var requested = parse.GetValue(model)!;
            try
            {
                var fileName = environment.Catalog.Find(requested)?.FileName ?? requested;
                var path = directory.FilePath(fileName);
                var removed = new[] { path, path + ModelDirectory.PartialSuffix, path + ModelDirectory.StateSuffix }.Where(File.Exists).ToList();
                if (removed.Count == 0)
                {
                    stderr.WriteLine($"error: there is no model '{fileName}' in {directory.Path} ('guardrail model list' shows what there is).");
                    return ModelExitCodes.Failed;
                }

                foreach (var file in removed)
                {
                    File.Delete(file);
                    stdout.WriteLine($"removed {file}");
                }

                return ModelExitCodes.Success;
            }
            catch (ModelUsageException error)
            {
                return Usage(stderr, error);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"error: {error.Message}");
                return ModelExitCodes.Failed;
            }
        });
        return command;
    }

    private static Command CreatePath(ModelCommandEnvironment environment)
    {
        var names = new Argument<string[]>("name") { Description = "Catalogue names.", Arity = ArgumentArity.ZeroOrMore };
        var defaults = new Option<bool>("--defaults") { Description = "The catalogue's default guard and instruct models, in that order." };
        var modelsDirectory = ModelsDirectoryOption();
        var command = new Command(
            "path",
            "Print where catalogue models live (or will live once pulled), one path per line. Exit code 0 when all are there, 1 when one is not yet pulled, 2 for an unknown name.")
        {
            names, defaults, modelsDirectory,
        };
        command.SetAction(parse =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            var requested = (parse.GetValue(names) ?? []).ToList();
            if (parse.GetValue(defaults))
            {
                requested.AddRange(environment.Catalog.Defaults.OrderBy(e => e.Role, StringComparer.Ordinal).Select(e => e.Name));
            }

            var entries = requested.Select(n => (Name: n, Entry: environment.Catalog.Find(n))).ToList();
            var unknown = entries.Where(e => e.Entry is null).Select(e => e.Name).ToList();
            if (requested.Count == 0 || unknown.Count > 0)
            {
                return Usage(stderr, new ModelUsageException(requested.Count == 0
                    ? "Name a catalogue model (or --defaults)."
                    : $"Not in the catalogue: {string.Join(", ", unknown)}. Known names: {string.Join(", ", environment.Catalog.Entries.Select(e => e.Name))}."));
            }

            var directory = ModelDirectory.Resolve(parse.GetValue(modelsDirectory), environment.GetVariable);
            var allPresent = true;
            foreach (var (_, entry) in entries)
            {
                var path = directory.FilePath(entry!.FileName);
                allPresent &= File.Exists(path);
                parse.InvocationConfiguration.Output.WriteLine(path);
            }

            return allPresent ? ModelExitCodes.Success : ModelExitCodes.NotPresent;
        });
        return command;
    }

    private static Command CreateCatalog(ModelCommandEnvironment environment)
    {
        var modelsDirectory = ModelsDirectoryOption();
        var json = new Option<bool>("--json") { Description = "One JSON array with every field: repository, pinned revision, file, SHA-256, sources, path, pulled." };
        var command = new Command("catalog", "List the catalogue: the models 'model pull' knows by name, which two are the defaults, and which are pulled.") { modelsDirectory, json };
        command.SetAction(parse =>
        {
            var directory = ModelDirectory.Resolve(parse.GetValue(modelsDirectory), environment.GetVariable);
            var entries = ModelListing.Catalog(environment.Catalog, directory);
            parse.InvocationConfiguration.Output.Write(parse.GetValue(json) ? ModelListing.ToJson(entries) : ModelListing.CatalogText(entries, environment.Catalog, directory));
            return ModelExitCodes.Success;
        });
        return command;
    }

    private static int Usage(TextWriter stderr, ModelUsageException error)
    {
        foreach (var problem in error.Problems)
        {
            stderr.WriteLine($"error: {problem}");
        }

        return ModelExitCodes.Usage;
    }

    private static Command CreateSynth(ILoggerFactory loggerFactory)
    {
        var preset = new Option<string>("--preset")
        {
            Description = "Random weights in a model's exact shape: " + string.Join(", ", SynthPreset.All.Select(p => p.Name)) + ".",
        };
        var keywordGuard = new Option<string>("--keyword-guard")
        {
            Description = "A hand-weighted guard answering 'unsafe\\nS<n>' on trigger words, e.g. \"bomb=S1,violin=S10\".",
        };
        var scripted = new Option<bool>("--scripted-generator")
        {
            Description = "A hand-weighted generator that answers fixed sentences (one of them, on the word '" + ScriptedGeneratorScript.Default.TriggerWord + "', flagged by the demo keyword guard).",
        };
        var demo = new Option<bool>("--demo")
        {
            Description = "Build (once, into the synthetic cache) the demo keyword guard (" + ScriptedGeneratorScript.MatchingKeywordGuard + ") and the scripted generator, and print 'guard=<path>' and 'generator=<path>'.",
        };
        var output = new Option<FileInfo>("--out") { Description = "The GGUF file to write (not with --demo)." };
        var quant = new Option<string>("--quant")
        {
            Description = "Quantize a preset model: F16 (default, as written), Q8_0 or Q4_K_M.",
        };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of a preset's random weights (default 0)." };
        var variant = new Option<string>("--variant")
        {
            Description = "The Llama Guard variant a keyword guard's metadata names (" + string.Join(", ", GuardModelVariant.Known.Select(v => v.Id)) + "), so a gateway builds that model's prompts; presets name their own.",
        };
        var vocab = new Option<FileInfo>("--vocab")
        {
            Description = "The Llama 3 vocab GGUF to take the tokenizer from (default: .cache/llama/vocab/ggml-vocab-llama-bpe.gguf).",
        };

        var command = new Command("synth", "Write a synthetic llama model from the Llama 3 tokenizer.")
        {
            preset, keywordGuard, scripted, demo, output, quant, seed, vocab, variant,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var request = new SynthRequest(
                parse.GetValue(preset),
                parse.GetValue(keywordGuard),
                parse.GetValue(scripted),
                parse.GetValue(demo),
                parse.GetValue(output)?.FullName,
                parse.GetValue(quant),
                parse.GetValue(seed),
                parse.GetValue(vocab)?.FullName,
                parse.GetValue(variant));
            return Task.FromResult(RunSynth(request, loggerFactory, stdout, stderr, cancellationToken));
        });
        return command;
    }

    private static Command CreateInspect()
    {
        var file = new Argument<FileInfo>("file") { Description = "A GGUF model file." };
        var command = new Command("inspect", "Describe a GGUF model from its header: shape, size, tensor types.") { file };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            try
            {
                parse.InvocationConfiguration.Output.Write(ModelInspector.Describe(path));
                return 0;
            }
            catch (GgufFormatException error)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {error.Message}");
                return 1;
            }
        });
        return command;
    }

    private sealed record SynthRequest(string? Preset, string? KeywordGuard, bool ScriptedGenerator, bool Demo, string? Output, string? Quant, ulong? Seed, string? Vocab, string? Variant);

    private static int RunSynth(SynthRequest request, ILoggerFactory loggerFactory, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        SynthPreset? preset = null;
        KeywordGuardSpec? spec = null;
        var quantization = SynthQuantization.F16;
        if (new[] { request.Preset is not null, request.KeywordGuard is not null, request.ScriptedGenerator, request.Demo }.Count(given => given) != 1)
        {
            errors.Add("Give exactly one of --preset, --keyword-guard, --scripted-generator or --demo.");
        }

        if ((request.Output is null) != request.Demo)
        {
            errors.Add(request.Demo ? "--demo builds into the synthetic cache and prints the paths; it takes no --out." : "--out is required: the GGUF file to write.");
        }

        if ((request.ScriptedGenerator || request.Demo) && (request.Quant is not null || request.Seed is not null || request.Variant is not null || request.Vocab is not null))
        {
            errors.Add("--quant, --seed, --variant and --vocab do not apply to --scripted-generator or --demo: their weights are exact, from the installed vocabulary.");
        }

        if (request.Preset is not null)
        {
            preset = SynthPreset.Find(request.Preset);
            if (preset is null)
            {
                errors.Add($"Unknown preset '{request.Preset}'; choose one of: {string.Join(", ", SynthPreset.All.Select(p => p.Name))}.");
            }
        }

        if (request.KeywordGuard is not null)
        {
            if (request.Quant is not null || request.Seed is not null)
            {
                errors.Add("--quant and --seed apply to --preset models only; a keyword guard's weights are exact.");
            }

            try
            {
                spec = KeywordGuardSpec.Parse(request.KeywordGuard);
            }
            catch (FormatException error)
            {
                errors.AddRange(error.Message.Split(Environment.NewLine));
            }
        }

        var imitates = GuardModelVariant.Find(request.Variant);
        if (request.Variant is not null && (imitates is null || request.Preset is not null))
        {
            errors.Add(imitates is null
                ? $"Unknown --variant '{request.Variant}'; choose {string.Join(" or ", GuardModelVariant.Known.Select(v => v.Id))}."
                : "--variant applies to --keyword-guard models only; a preset names the variant of its shape.");
        }

        if (request.Quant is not null && !SynthQuantizationNames.TryParse(request.Quant, out quantization))
        {
            errors.Add($"Unknown --quant '{request.Quant}'; choose F16, Q8_0 or Q4_K_M.");
        }

        var vocabPath = request.Vocab ?? SynthesisRuntime.DefaultVocabularyPath;
        if (!File.Exists(vocabPath))
        {
            errors.Add($"The vocabulary file '{vocabPath}' does not exist; run {NativeRuntimeLocator.InstallScript} or pass --vocab.");
        }

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                stderr.WriteLine($"error: {error}");
            }

            return 2;
        }

        try
        {
            if (request.Demo)
            {
                stdout.WriteLine("guard=" + SyntheticModelCache.GetKeywordGuard(ScriptedGeneratorScript.MatchingKeywordGuard, cancellationToken));
                stdout.WriteLine("generator=" + SyntheticModelCache.GetScriptedGenerator(cancellationToken: cancellationToken));
                return 0;
            }

            var vocabulary = LlamaVocabularyMetadata.Load(vocabPath);
            if (request.ScriptedGenerator)
            {
                using var tokenizer = SynthesisRuntime.OpenTokenizer(vocabPath, loggerFactory);
                var plan = SyntheticModelBuilder.BuildScriptedGenerator(request.Output!, ScriptedGeneratorScript.Default, vocabulary, tokenizer, cancellationToken);
                stdout.WriteLine($"wrote {request.Output}");
                stdout.WriteLine($"  answer: {ScriptedGeneratorScript.Default.Answer} ({plan.AnswerTokens.Count} tokens)");
                stdout.WriteLine($"  on '{ScriptedGeneratorScript.Default.TriggerWord}': {ScriptedGeneratorScript.Default.FlaggedAnswer} ({plan.FlaggedTokens.Count} tokens)");
            }
            else if (spec is not null)
            {
                using var tokenizer = SynthesisRuntime.OpenTokenizer(vocabPath, loggerFactory);
                var plan = SyntheticModelBuilder.BuildKeywordGuard(request.Output!, spec, vocabulary, tokenizer, cancellationToken, imitates);
                stdout.WriteLine($"wrote {request.Output}");
                foreach (var set in plan.Sets)
                {
                    stdout.WriteLine($"  {set.Code}: " + string.Join(", ", set.TriggerTokens.Select(t => string.Create(CultureInfo.InvariantCulture, $"'{t.Form}' ({t.Token})"))));
                }
            }
            else
            {
                SyntheticModelBuilder.BuildRandom(
                    request.Output!,
                    preset!,
                    quantization,
                    request.Seed ?? 0,
                    vocabulary,
                    (source, destination, type) => SynthesisRuntime.Quantize(source, destination, type, loggerFactory),
                    cancellationToken);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {request.Output} ({preset!.Name}, {quantization}, {new FileInfo(request.Output!).Length:N0} bytes)"));
            }

            return 0;
        }
        catch (KeywordGuardSpecException error)
        {
            foreach (var problem in error.Problems)
            {
                stderr.WriteLine($"error: {problem}");
            }

            return 2;
        }
        catch (Exception error) when (error is GgufFormatException or NativeRuntimeException or LlamaInferenceException or NotSupportedException
            or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {error.Message}");
            return 1;
        }
    }
}
