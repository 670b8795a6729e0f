using Guardrail.Taxonomy;

namespace Guardrail.Core.Tests;

/// <summary>Paths of files copied next to the tests, and the shipped taxonomy loaded once.</summary>
internal static class TestFiles
{
    private static readonly Lazy<HazardTaxonomy> Shipped = new(
        () => TaxonomyLoader.LoadFile(ShippedTaxonomyPath).GetValueOrThrow());

    public static string ShippedTaxonomyPath => Path.Combine(AppContext.BaseDirectory, "taxonomy", "llama-guard-3.yaml");

    public static HazardTaxonomy LlamaGuard3 => Shipped.Value;

    public static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", name));
}
