namespace Guardrail.Classification;

/// <summary>What <see cref="LlamaGuardOutputParser"/> read from the model's generated text.</summary>
public sealed record LlamaGuardOutput
{
    /// <summary>Safe, unsafe, or error when the text is not a Llama Guard answer.</summary>
    public required GuardOutcome Outcome { get; init; }

    /// <summary>Well-formed codes from the category line, in order, without repeats (unsafe only).</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Items of the category line (or extra lines) that are not codes; the verdict stays unsafe.</summary>
    public IReadOnlyList<string> UnparsedCategories { get; init; } = [];

    /// <summary>Why the text is not an answer (error only).</summary>
    public string? Error { get; init; }
}
