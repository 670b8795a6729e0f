using Guardrail.Diagnostics;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Policies;

/// <summary>The repository's shipped files, and policies built from YAML text against the shipped taxonomy.</summary>
internal static class PolicyTestFiles
{
    public static string RepositoryRoot => Guardrail.Testing.RepositoryRoot.Path;

    public static string ShippedPoliciesDirectory => Path.Combine(RepositoryRoot, "policies");

    public static string ShippedTaxonomyDirectory => Path.Combine(RepositoryRoot, "taxonomy");

    public static PolicySourceFile Taxonomy => new("taxonomy/llama-guard-3.yaml", File.ReadAllText(TestFiles.ShippedTaxonomyPath));

    public static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "testdata", "policies", name);

    /// <summary>Loads the given policy files (name, YAML) with the shipped taxonomy.</summary>
    public static LoadResult<PolicySnapshot> Load(params (string Name, string Yaml)[] files) =>
        PolicyLoader.Load([.. files.Select(static file => new PolicySourceFile(file.Name, file.Yaml))], [Taxonomy]);

    /// <summary>Loads one policy file plus a plain default, and returns the snapshot (throws on errors).</summary>
    public static PolicySnapshot Snapshot(params (string Name, string Yaml)[] files) => Load(files).GetValueOrThrow();

    /// <summary>A single policy from YAML (made the default if it does not say otherwise).</summary>
    public static Policy Policy(string yaml)
    {
        var text = yaml.Contains("default:", StringComparison.Ordinal) ? yaml : "default: true\n" + yaml;
        return Snapshot(("p.yaml", text)).Policies.Single();
    }
}
