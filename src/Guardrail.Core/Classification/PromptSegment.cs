namespace Guardrail.Classification;

/// <summary>How a prompt segment must be tokenized.</summary>
public enum PromptSegmentKind
{
    /// <summary>Our own template text: tokenize with special tokens parsed (<c>parse_special = true</c>).</summary>
    Scaffold,

    /// <summary>Text that came from a user, an assistant or a tool: tokenize with <c>parse_special = false</c>.</summary>
    Content,
}

/// <summary>A run of prompt text that is tokenized in one call.</summary>
/// <param name="Kind">Scaffold or content.</param>
/// <param name="Text">The exact text.</param>
public sealed record PromptSegment(PromptSegmentKind Kind, string Text)
{
    /// <summary>Whether the tokenizer must turn special-token text into special tokens.</summary>
    public bool ParseSpecial => Kind == PromptSegmentKind.Scaffold;
}
