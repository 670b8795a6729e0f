using System.CommandLine;
using System.Globalization;
using Guardrail.Diagnostics;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.Policies;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail policy validate [dir]</c> (every error with file, line and column; non-zero exit on any) and
/// <c>guardrail policy show &lt;id&gt; [--model FILE | --variant ID]</c> (the resolved policy and the exact Llama Guard
/// prompt it produces for that model, with the categories the model does not know marked and reported).
/// Both load policies exactly as the gateway does.
/// </summary>
internal static class PolicyCommands
{
    public static Command Create()
    {
        return new Command("policy", "Check and explain policy files.") { CreateValidate(), CreateShow() };
    }

    private static Command CreateValidate()
    {
        var directory = new Argument<DirectoryInfo>("dir") { Description = "The policies folder (default: ./policies).", DefaultValueFactory = _ => new DirectoryInfo("policies") };
        var taxonomy = TaxonomyOption();
        var command = new Command("validate", "Load every policy and taxonomy file and report every error.") { directory, taxonomy };
        command.SetAction(parse =>
        {
            var policies = parse.GetValue(directory)!;
            var result = Load(policies, parse.GetValue(taxonomy));
            if (result.Errors.Count > 0)
            {
                foreach (var error in result.Errors)
                {
                    parse.InvocationConfiguration.Error.WriteLine(error.ToString());
                }

                parse.InvocationConfiguration.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Errors.Count} error(s); the gateway would refuse these files."));
                return 1;
            }

            var snapshot = result.Value!;
            parse.InvocationConfiguration.Output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{snapshot.Policies.Count} policies valid (default '{snapshot.Default.Id}'), version {snapshot.Version}"));
            foreach (var variant in GuardModelVariant.Known)
            {
                foreach (var warning in snapshot.Warnings(variant))
                {
                    parse.InvocationConfiguration.Output.WriteLine($"warning (with {variant.Id}): {warning}");
                }
            }

            return 0;
        });
        return command;
    }

    private static Command CreateShow()
    {
        var id = new Argument<string>("id") { Description = "The policy id." };
        var directory = new Option<DirectoryInfo>("--dir") { Description = "The policies folder (default: ./policies).", DefaultValueFactory = _ => new DirectoryInfo("policies") };
        var taxonomy = TaxonomyOption();
        var message = new Option<string>("--message") { Description = "A user message to place in the shown prompt." };
        var model = new Option<FileInfo>("--model") { Description = "A Llama Guard GGUF file: show the prompt its variant (read from the file's metadata) gets." };
        var variantOption = new Option<string>("--variant")
        {
            Description = "The Llama Guard variant to show the prompt for: " + string.Join(", ", GuardModelVariant.Known.Select(static v => v.Id)) + " (overrides --model's metadata).",
        };
        var command = new Command("show", "Print the resolved policy and the exact Llama Guard prompt it produces.") { id, directory, taxonomy, message, model, variantOption };
        command.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!TryResolveVariant(parse.GetValue(model), parse.GetValue(variantOption), error, out var variant))
            {
                return 2;
            }

            var result = Load(parse.GetValue(directory)!, parse.GetValue(taxonomy));
            if (result.Errors.Count > 0)
            {
                foreach (var problem in result.Errors)
                {
                    error.WriteLine(problem.ToString());
                }

                return 1;
            }

            var policy = result.Value!.Find(parse.GetValue(id)!);
            if (policy is null)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: no policy '{parse.GetValue(id)}'; the policies are {string.Join(", ", result.Value.Policies.Select(p => p.Id))}.");
                return 2;
            }

            parse.InvocationConfiguration.Output.Write(parse.GetValue(message) is { } text ? PolicyDescriber.Describe(policy, variant, text) : PolicyDescriber.Describe(policy, variant));
            foreach (var warning in policy.ModelWarnings(variant))
            {
                error.WriteLine(warning.ToString());
            }

            return 0;
        });
        return command;
    }

    /// <summary>The variant to show: <c>--variant</c>, else what <c>--model</c>'s metadata says, else unknown (every enabled category sent).</summary>
    private static bool TryResolveVariant(FileInfo? model, string? variantId, TextWriter error, out GuardModelVariant variant)
    {
        variant = GuardModelVariant.Unknown;
        if (variantId is not null)
        {
            if (GuardModelVariant.Find(variantId) is not { } named)
            {
                error.WriteLine($"error: --variant '{variantId}' is not a Llama Guard variant; use one of {string.Join(", ", GuardModelVariant.Known.Select(static v => v.Id))}.");
                return false;
            }

            variant = named;
        }

        if (model is null)
        {
            return true;
        }

        ModelVariantDetection detected;
        try
        {
            detected = ModelVariantDetector.Detect(GgufReader.Read(model.FullName));
        }
        catch (GgufFormatException problem)
        {
            error.WriteLine($"error: {problem.Message}");
            return false;
        }

        if (variantId is null)
        {
            variant = detected.Variant;
        }

        error.WriteLine($"model: {model.FullName}: {detected.Describe()}");
        return true;
    }

    private static Option<DirectoryInfo> TaxonomyOption() =>
        new("--taxonomy") { Description = "The taxonomy folder (default: the 'taxonomy' folder beside the policies folder)." };

    private static LoadResult<PolicySnapshot> Load(DirectoryInfo policies, DirectoryInfo? taxonomy)
    {
        var taxonomyPath = taxonomy?.FullName ?? Path.Combine(policies.Parent?.FullName ?? ".", "taxonomy");
        return PolicyLoader.LoadDirectories(policies.FullName, taxonomyPath);
    }
}
