namespace Guardrail.Taxonomy;

/// <summary>A taxonomy: a named, ordered set of hazard categories (such as the 14 MLCommons hazards of Llama Guard 3).</summary>
public sealed record HazardTaxonomy
{
    /// <summary>The id policies refer to (<c>llama-guard-3</c>).</summary>
    public required string Id { get; init; }

    /// <summary>A human title.</summary>
    public string? Name { get; init; }

    /// <summary>The categories in file order; codes are unique.</summary>
    public required IReadOnlyList<HazardCategory> Categories { get; init; }

    /// <summary>The category with <paramref name="code"/>, or null.</summary>
    public HazardCategory? Find(string code) =>
        Categories.FirstOrDefault(category => string.Equals(category.Code, code, StringComparison.Ordinal));

    /// <summary>The code a first custom category takes: one past the highest code in use (<c>S15</c> for Llama Guard 3).</summary>
    public string NextFreeCode =>
        HazardCategory.CodeFor(Categories.Count == 0 ? 1 : Categories.Max(static category => category.Number) + 1);
}
