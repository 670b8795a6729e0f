using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Diagnostics;
using Guardrail.Taxonomy;

namespace Guardrail.Policies;

/// <summary>
/// One moderation policy, validated and resolved against its taxonomy: which categories go to the model and
/// what each does, the threshold, which checks run, how streams and failures are handled, and what clients see.
/// Loaded from <c>policies/*.yaml</c> by <see cref="PolicyLoader"/>; see <c>docs/policies.md</c>.
/// </summary>
public sealed record Policy
{
    /// <summary>Default <see cref="Threshold"/>: Llama Guard 2's published default.</summary>
    public const double DefaultThreshold = 0.5;

    /// <summary>Default <see cref="RefusalText"/>.</summary>
    public const string DefaultRefusalText = "I can't help with that request.";

    /// <summary>The id routes and decisions use (<c>default</c>, <c>strict</c>).</summary>
    public required string Id { get; init; }

    /// <summary>What the policy is for, for people.</summary>
    public string? Description { get; init; }

    /// <summary>True for the one policy used when nothing else matches.</summary>
    public bool IsDefault { get; init; }

    /// <summary>The taxonomy the codes come from.</summary>
    public required HazardTaxonomy Taxonomy { get; init; }

    /// <summary>P(unsafe) at or above which a verdict counts as unsafe; strictly between 0 and 1.</summary>
    public double Threshold { get; init; } = DefaultThreshold;

    /// <summary>The action of every taxonomy category the policy does not name.</summary>
    public CategoryAction DefaultAction { get; init; } = CategoryAction.Block;

    /// <summary>Every category: the taxonomy's in its order, then the custom ones in ascending code order.</summary>
    public required IReadOnlyList<PolicyCategory> Categories { get; init; }

    /// <summary>Whether prompts (the last user turn) are checked.</summary>
    public bool CheckPrompts { get; init; } = true;

    /// <summary>Whether responses (the assistant's reply) are checked.</summary>
    public bool CheckResponses { get; init; } = true;

    /// <summary>How streamed responses are checked.</summary>
    public StreamingSettings Streaming { get; init; } = new();

    /// <summary>What happens when the classifier fails or answers with a code the policy does not know.</summary>
    public ErrorAction OnError { get; init; } = ErrorAction.Block;

    /// <summary>The text clients get instead of blocked content.</summary>
    public string RefusalText { get; init; } = DefaultRefusalText;

    /// <summary>HTTP 400 error (default) or HTTP 200 refusal completion for a blocked prompt.</summary>
    public BlockedPromptResponse BlockedPromptResponse { get; init; } = BlockedPromptResponse.Error;

    /// <summary>Which requests the policy applies to when no route names a policy.</summary>
    public PolicyAppliesTo AppliesTo { get; init; } = PolicyAppliesTo.Nothing;

    /// <summary>A policy evaluated beside this one and recorded, never enforced; null for none.</summary>
    public string? Shadow { get; init; }

    /// <summary>How much content the audit record keeps for this policy's decisions; null (the default) keeps the audit store's mode.</summary>
    public ContentRetention? ContentRetention { get; init; }

    /// <summary>The file the policy came from (relative to the policies directory).</summary>
    public string SourceFile { get; init; } = string.Empty;

    /// <summary>
    /// SHA-256 (lower-case hex) of the normalised policy file and of its taxonomy file: changes whenever what
    /// the policy does could change. Decisions record it.
    /// </summary>
    public string ContentHash { get; init; } = string.Empty;

    /// <summary>
    /// The categories to write into the Llama Guard prompt, in order, with their own codes: every category
    /// whose action is not <see cref="CategoryAction.Off"/>.
    /// </summary>
    public IReadOnlyList<HazardCategory> PromptCategories =>
        [.. Categories.Where(static category => category.Action != CategoryAction.Off).Select(static category => category.Category)];

    /// <summary>
    /// The categories a prompt for <paramref name="variant"/> lists: <see cref="PromptCategories"/> less those the
    /// model was not trained on (S14 for Llama Guard 3 1B). Custom categories stay. This is the effective set: what
    /// the model is asked, and what the verdict cache key holds.
    /// </summary>
    public IReadOnlyList<HazardCategory> PromptCategoriesFor(GuardModelVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return variant.Select(PromptCategories);
    }

    /// <summary>The categories the policy enables that <paramref name="variant"/> was not trained on, so its prompt leaves them out.</summary>
    public IReadOnlyList<PolicyCategory> CategoriesNotKnownTo(GuardModelVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        return [.. Categories.Where(category => category.Action != CategoryAction.Off && !variant.Knows(category.Category))];
    }

    /// <summary>
    /// This policy's part of <see cref="PolicySnapshot.Warnings"/>: with a known <paramref name="variant"/>, each
    /// enabled category it was not trained on (left out of its prompts, so not checked); with
    /// <see cref="GuardModelVariant.Unknown"/>, each enabled category not every variant knows (sent anyway). Each at
    /// the line that enables the category.
    /// </summary>
    public IReadOnlyList<FileDiagnostic> ModelWarnings(GuardModelVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        var warnings = new List<FileDiagnostic>();
        foreach (var category in Categories)
        {
            if (category.Action == CategoryAction.Off)
            {
                continue;
            }

            var where = category.Source ?? new SourcePosition(SourceFile, 0, 0);
            var knownTo = string.Join(", ", category.Category.Models);
            if (variant.IsKnown && !variant.Knows(category.Category))
            {
                warnings.Add(new FileDiagnostic(
                    where,
                    $"warning: policy '{Id}' enables {category.Code} ({category.Category.Name}), which {variant.Id} was not trained on "
                    + $"(known to {knownTo}): it is left out of this model's prompts, so {category.Code} is not checked. "
                    + $"Load a model that knows it, or set '{category.Code}: off' to say so in the policy"));
            }
            else if (!variant.IsKnown && !GuardModelVariant.KnownToEveryVariant(category.Category))
            {
                warnings.Add(new FileDiagnostic(
                    where,
                    $"warning: policy '{Id}' sends {category.Code} ({category.Category.Name}) to a model of unknown variant, "
                    + $"though only some Llama Guard models were trained on it (known to {knownTo}); name the model's variant so that "
                    + "its prompts list only what it knows"));
            }
        }

        return warnings;
    }

    /// <summary>Whether the policy checks <paramref name="direction"/>.</summary>
    public bool Checks(CheckDirection direction) => direction switch
    {
        CheckDirection.Prompt => CheckPrompts,
        CheckDirection.Response => CheckResponses,
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, "Unknown check direction."),
    };

    /// <summary>The policy's category with <paramref name="code"/>, or null.</summary>
    public PolicyCategory? FindCategory(string code) =>
        Categories.FirstOrDefault(category => string.Equals(category.Code, code, StringComparison.Ordinal));
}
