using System.CommandLine;
using System.Globalization;
using Guardrail.Diagnostics;
using Guardrail.Policies;

namespace Guardrail.Cli.Commands;

/// <summary>
/// <c>guardrail policy validate [dir]</c> (every error with file, line and column; non-zero exit on any) and
/// <c>guardrail policy show &lt;id&gt;</c> (the resolved policy and the exact Llama Guard prompt it produces).
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
            foreach (var warning in snapshot.Warnings(Guardrail.LlamaCpp.Inference.LlamaModelInfo.SizeClass1B))
            {
                parse.InvocationConfiguration.Output.WriteLine($"warning (with a 1B model): {warning}");
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
        var command = new Command("show", "Print the resolved policy and the exact Llama Guard prompt it produces.") { id, directory, taxonomy, message };
        command.SetAction(parse =>
        {
            var result = Load(parse.GetValue(directory)!, parse.GetValue(taxonomy));
            if (result.Errors.Count > 0)
            {
                foreach (var error in result.Errors)
                {
                    parse.InvocationConfiguration.Error.WriteLine(error.ToString());
                }

                return 1;
            }

            var policy = result.Value!.Find(parse.GetValue(id)!);
            if (policy is null)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: no policy '{parse.GetValue(id)}'; the policies are {string.Join(", ", result.Value.Policies.Select(p => p.Id))}.");
                return 2;
            }

            parse.InvocationConfiguration.Output.Write(parse.GetValue(message) is { } text ? PolicyDescriber.Describe(policy, text) : PolicyDescriber.Describe(policy));
            return 0;
        });
        return command;
    }

    private static Option<DirectoryInfo> TaxonomyOption() =>
        new("--taxonomy") { Description = "The taxonomy folder (default: the 'taxonomy' folder beside the policies folder)." };

    private static LoadResult<PolicySnapshot> Load(DirectoryInfo policies, DirectoryInfo? taxonomy)
    {
        var taxonomyPath = taxonomy?.FullName ?? Path.Combine(policies.Parent?.FullName ?? ".", "taxonomy");
        return PolicyLoader.LoadDirectories(policies.FullName, taxonomyPath);
    }
}
