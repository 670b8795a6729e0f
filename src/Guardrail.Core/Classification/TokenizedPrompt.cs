using System.Collections.Immutable;

namespace Guardrail.Classification;

/// <summary>A prompt's tokens, ready to decode, and what had to be cut to fit the budget.</summary>
public sealed record TokenizedPrompt
{
    /// <summary>Every token in order, starting with <c>&lt;|begin_of_text|&gt;</c>.</summary>
    public required ImmutableArray<int> Tokens { get; init; }

    /// <summary>How many leading tokens are the cacheable prefix (up to <c>&lt;BEGIN CONVERSATION&gt;\n\n</c>).</summary>
    public required int PrefixTokenCount { get; init; }

    /// <summary>How many trailing tokens are the closing lines (from <c>&lt;END CONVERSATION&gt;</c>); what comes before
    /// them is the prefix and the conversation, which a later check of the same chat starts with.</summary>
    public required int SuffixTokenCount { get; init; }

    /// <summary>The budget the prompt was fitted into.</summary>
    public required int TokenBudget { get; init; }

    /// <summary>How many of the oldest turns were left out to fit.</summary>
    public int DroppedTurns { get; init; }

    /// <summary>How many tokens were cut from the middle of the last turn (0 when it fit whole).</summary>
    public int OmittedTokens { get; init; }

    /// <summary>True when anything was left out; the verdict must say so.</summary>
    public bool Truncated => DroppedTurns > 0 || OmittedTokens > 0;
}
