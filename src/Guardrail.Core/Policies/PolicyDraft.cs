using Guardrail.Auditing;
using Guardrail.Diagnostics;

namespace Guardrail.Policies;

/// <summary>A policy file read on its own, before its taxonomy and the other policies are known.</summary>
internal sealed record PolicyDraft
{
    public required PolicySourceFile File { get; init; }

    public required string? Id { get; init; }

    public required SourcePosition Position { get; init; }

    public SourcePosition? IdPosition { get; init; }

    public string? Description { get; init; }

    public bool IsDefault { get; init; }

    public SourcePosition? DefaultPosition { get; init; }

    public string? TaxonomyId { get; init; }

    public SourcePosition? TaxonomyPosition { get; init; }

    public double Threshold { get; init; } = Policy.DefaultThreshold;

    public CategoryAction DefaultAction { get; init; } = CategoryAction.Block;

    public SourcePosition? DefaultActionPosition { get; init; }

    public IReadOnlyList<CategoryActionEntry> CategoryActions { get; init; } = [];

    public SourcePosition? CategoriesPosition { get; init; }

    public IReadOnlyList<CustomCategoryEntry> CustomCategories { get; init; } = [];

    public bool CheckPrompts { get; init; } = true;

    public bool CheckResponses { get; init; } = true;

    public StreamingSettings Streaming { get; init; } = new();

    public ErrorAction OnError { get; init; } = ErrorAction.Block;

    public string RefusalText { get; init; } = Policy.DefaultRefusalText;

    public BlockedPromptResponse BlockedPromptResponse { get; init; } = BlockedPromptResponse.Error;

    public PolicyAppliesTo AppliesTo { get; init; } = PolicyAppliesTo.Nothing;

    public string? Shadow { get; init; }

    public SourcePosition? ShadowPosition { get; init; }

    public ContentRetention? ContentRetention { get; init; }
}
