using System.Text;
using Guardrail.Policies;
using Guardrail.Taxonomy;

namespace Guardrail.Fuzz;

/// <summary>
/// <c>policy</c>: one file (YAML, or JSON, which is YAML too) loaded as a policy against the shipped taxonomy.
/// Contract: a snapshot, or a failed result listing at least one error with its position; never an exception.
/// </summary>
internal static class PolicyTarget
{
    private static readonly PolicySourceFile Taxonomy = Shipped.Load("llama-guard-3.yaml");

    public static void Run(byte[] input)
    {
        var policy = new PolicySourceFile("fuzz.yaml", Encoding.UTF8.GetString(input));
        Shipped.Check(PolicyLoader.Load([policy], [Taxonomy]));
    }
}

/// <summary>
/// <c>taxonomy</c>: one file parsed as a taxonomy, then loaded with the shipped default policy. Contract: as for
/// <see cref="PolicyTarget"/>.
/// </summary>
internal static class TaxonomyTarget
{
    private static readonly PolicySourceFile Policy = Shipped.Load("default.yaml");

    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        Shipped.Check(TaxonomyLoader.Parse(text, "fuzz.yaml"));
        Shipped.Check(PolicyLoader.Load([Policy], [new PolicySourceFile("fuzz.yaml", text)]));
    }
}

/// <summary>The shipped files the loader targets pair with the fuzzed one, and the loaders' result contract.</summary>
internal static class Shipped
{
    public static PolicySourceFile Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "shipped", name);
        return new PolicySourceFile(path, File.ReadAllText(path));
    }

    public static void Check<T>(Diagnostics.LoadResult<T> result)
        where T : class
    {
        if (!result.Succeeded && result.Errors.Count == 0)
        {
            throw new FuzzFindingException("a failed load must list at least one error.");
        }

        if (result.Errors.Any(error => error.Line < 0 || error.Column < 0 || string.IsNullOrEmpty(error.Message)))
        {
            throw new FuzzFindingException("an error without a message or with a negative position.");
        }
    }
}
