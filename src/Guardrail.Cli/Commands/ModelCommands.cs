using System.CommandLine;
using System.Globalization;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Guardrail.ModelSynthesis;
using Microsoft.Extensions.Logging;

namespace Guardrail.Cli.Commands;

/// <summary><c>guardrail model synth</c> and <c>guardrail model inspect</c>.</summary>
internal static class ModelCommands
{
    /// <summary>Builds the <c>model</c> command and its subcommands.</summary>
    public static Command Create(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return new Command("model", "Write and describe GGUF models.")
        {
            CreateSynth(loggerFactory),
            CreateInspect(),
        };
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
        var output = new Option<FileInfo>("--out") { Description = "The GGUF file to write.", Required = true };
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
            preset, keywordGuard, output, quant, seed, vocab, variant,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var request = new SynthRequest(
                parse.GetValue(preset),
                parse.GetValue(keywordGuard),
                parse.GetValue(output)!.FullName,
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

    private sealed record SynthRequest(string? Preset, string? KeywordGuard, string Output, string? Quant, ulong? Seed, string? Vocab, string? Variant);

    private static int RunSynth(SynthRequest request, ILoggerFactory loggerFactory, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        SynthPreset? preset = null;
        KeywordGuardSpec? spec = null;
        var quantization = SynthQuantization.F16;
        if ((request.Preset is null) == (request.KeywordGuard is null))
        {
            errors.Add("Give exactly one of --preset or --keyword-guard.");
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
            var vocabulary = LlamaVocabularyMetadata.Load(vocabPath);
            if (spec is not null)
            {
                using var tokenizer = SynthesisRuntime.OpenTokenizer(vocabPath, loggerFactory);
                var plan = SyntheticModelBuilder.BuildKeywordGuard(request.Output, spec, vocabulary, tokenizer, cancellationToken, imitates);
                stdout.WriteLine($"wrote {request.Output}");
                foreach (var set in plan.Sets)
                {
                    stdout.WriteLine($"  {set.Code}: " + string.Join(", ", set.TriggerTokens.Select(t => string.Create(CultureInfo.InvariantCulture, $"'{t.Form}' ({t.Token})"))));
                }
            }
            else
            {
                SyntheticModelBuilder.BuildRandom(
                    request.Output,
                    preset!,
                    quantization,
                    request.Seed ?? 0,
                    vocabulary,
                    (source, destination, type) => SynthesisRuntime.Quantize(source, destination, type, loggerFactory),
                    cancellationToken);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {request.Output} ({preset!.Name}, {quantization}, {new FileInfo(request.Output).Length:N0} bytes)"));
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
