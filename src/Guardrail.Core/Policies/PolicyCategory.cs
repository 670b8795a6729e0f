using Guardrail.Diagnostics;
using Guardrail.Taxonomy;

namespace Guardrail.Policies;

/// <summary>A hazard category as a policy uses it: the category (its code never changes) and what to do about it.</summary>
public sealed record PolicyCategory
{
    /// <summary>The category, from the policy's taxonomy or one of its custom categories.</summary>
    public required HazardCategory Category { get; init; }

    /// <summary>Block, flag or off.</summary>
    public required CategoryAction Action { get; init; }

    /// <summary>True for a category the policy defines itself (<c>custom_categories</c>).</summary>
    public bool IsCustom { get; init; }

    /// <summary>Where the action was set; null when it comes from <c>default_action</c>.</summary>
    public SourcePosition? Source { get; init; }

    /// <summary>The category's code (<c>S1</c>).</summary>
    public string Code => Category.Code;
}
