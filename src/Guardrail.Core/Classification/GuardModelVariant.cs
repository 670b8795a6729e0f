using Guardrail.Taxonomy;

namespace Guardrail.Classification;

/// <summary>
/// Which Llama Guard model answers the checks: it decides which categories a prompt may list, because a category
/// line the model never saw in training changes its input for every check and yields codes it cannot be trusted on.
/// A closed set (<see cref="LlamaGuard3OneB"/>, <see cref="LlamaGuard3EightB"/>, <see cref="Unknown"/>), so that its
/// <see cref="Id"/> can label metrics.
/// </summary>
public sealed class GuardModelVariant
{
    private GuardModelVariant(string id, string displayName, string? taxonomyModel)
    {
        Id = id;
        DisplayName = displayName;
        TaxonomyModel = taxonomyModel;
    }

    /// <summary>Llama Guard 3 1B (the Llama 3.2 1B shape): trained on S1-S13.</summary>
    public static GuardModelVariant LlamaGuard3OneB { get; } = new("llama-guard-3-1b", "Llama Guard 3 1B", "1B");

    /// <summary>Llama Guard 3 8B (the Llama 3.1 8B shape): trained on S1-S14.</summary>
    public static GuardModelVariant LlamaGuard3EightB { get; } = new("llama-guard-3-8b", "Llama Guard 3 8B", "8B");

    /// <summary>
    /// A model nothing identifies (no metadata says which, no configuration names it). It is sent every category the
    /// policy enables: leaving out a category a model might know would silently stop checking it, while sending
    /// one it might not know is what the gateway did before variants were known, and is reported as a warning.
    /// </summary>
    public static GuardModelVariant Unknown { get; } = new("unknown", "an unidentified Llama Guard model", null);

    /// <summary>The variants that can be named in configuration, in size order.</summary>
    public static IReadOnlyList<GuardModelVariant> Known { get; } = [LlamaGuard3OneB, LlamaGuard3EightB];

    /// <summary>The name used in configuration, logs and metric labels (<c>llama-guard-3-1b</c>).</summary>
    public string Id { get; }

    /// <summary>The name for people (<c>Llama Guard 3 1B</c>).</summary>
    public string DisplayName { get; }

    /// <summary>The value taxonomy files use for this model in a category's <c>models</c> list (<c>1B</c>); null for <see cref="Unknown"/>.</summary>
    public string? TaxonomyModel { get; }

    /// <summary>Whether this is a named variant (not <see cref="Unknown"/>).</summary>
    public bool IsKnown => TaxonomyModel is not null;

    /// <summary>The known variant with <paramref name="id"/> (case-insensitive), or null.</summary>
    public static GuardModelVariant? Find(string? id) =>
        Known.FirstOrDefault(variant => string.Equals(variant.Id, id?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The known variant whose taxonomy model is <paramref name="taxonomyModel"/> (<c>1B</c>), or null.</summary>
    public static GuardModelVariant? ForTaxonomyModel(string? taxonomyModel) =>
        Known.FirstOrDefault(variant => string.Equals(variant.TaxonomyModel, taxonomyModel, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Whether the model was trained on <paramref name="category"/>. Categories without a <c>models</c> list
    /// (custom ones, S15 and up) are known to every variant: Llama Guard is documented to follow custom categories
    /// from their description. <see cref="Unknown"/> is taken to know everything (see its remarks).
    /// </summary>
    public bool Knows(HazardCategory category)
    {
        ArgumentNullException.ThrowIfNull(category);
        return TaxonomyModel is null || category.IsKnownTo(TaxonomyModel);
    }

    /// <summary>The categories of <paramref name="categories"/> this variant knows, in their order (codes unchanged).</summary>
    public IReadOnlyList<HazardCategory> Select(IReadOnlyList<HazardCategory> categories)
    {
        ArgumentNullException.ThrowIfNull(categories);
        return categories.All(Knows) ? categories : [.. categories.Where(Knows)];
    }

    /// <summary>Whether every known variant was trained on <paramref name="category"/>.</summary>
    public static bool KnownToEveryVariant(HazardCategory category) => Known.All(variant => variant.Knows(category));

    /// <inheritdoc />
    public override string ToString() => Id;
}
