namespace Guardrail.Taxonomy;

/// <summary>The outcome of loading a taxonomy: the taxonomy, or every error found.</summary>
public sealed record TaxonomyLoadResult
{
    /// <summary>The taxonomy; null when there are errors.</summary>
    public HazardTaxonomy? Taxonomy { get; init; }

    /// <summary>Every problem found, in file order.</summary>
    public IReadOnlyList<TaxonomyError> Errors { get; init; } = [];

    /// <summary>True when the file loaded without errors.</summary>
    public bool Succeeded => Taxonomy is not null && Errors.Count == 0;

    /// <summary>The taxonomy, or a <see cref="TaxonomyValidationException"/> listing every error.</summary>
    public HazardTaxonomy GetValueOrThrow() =>
        Succeeded ? Taxonomy! : throw new TaxonomyValidationException(Errors);
}
