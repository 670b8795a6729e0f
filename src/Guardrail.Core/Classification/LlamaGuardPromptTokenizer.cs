using System.Collections.Immutable;
using System.Globalization;

namespace Guardrail.Classification;

/// <summary>
/// Tokenizes a <see cref="LlamaGuardPrompt"/> segment by segment (scaffold with special tokens, content without)
/// and fits it into a token budget.
/// </summary>
/// <remarks>
/// Fitting keeps the scaffold and the last turn, then adds earlier turns from the newest back while they fit:
/// the oldest turns go first, and always whole. A last turn that does not fit alone is cut in the middle, its
/// start and end kept, with a visible <c>[... N tokens omitted ...]</c> in between, so that the model and a
/// reviewer can see that text is missing.
/// </remarks>
public sealed class LlamaGuardPromptTokenizer
{
    // Start and end of a long message usually carry its intent; keep at least this many tokens of it.
    private const int MinimumKeptContentTokens = 16;

    private readonly ILlamaTokenizer _tokenizer;

    /// <summary>Creates the prompt tokenizer over a model's tokenizer.</summary>
    public LlamaGuardPromptTokenizer(ILlamaTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
    }

    /// <summary>The text put where the middle of an over-long last turn was cut.</summary>
    public static string OmissionMarker(int omittedTokens) =>
        string.Create(CultureInfo.InvariantCulture, $"\n[... {omittedTokens} tokens omitted ...]\n");

    /// <summary>Tokenizes <paramref name="prompt"/> into at most <paramref name="tokenBudget"/> tokens.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="tokenBudget">The most tokens the prompt may have: the context size minus room for the output.</param>
    /// <exception cref="InvalidOperationException">The budget cannot hold the scaffold and a useful part of the last turn.</exception>
    public TokenizedPrompt Tokenize(LlamaGuardPrompt prompt, int tokenBudget)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokenBudget);

        var prefix = Tokenize(prompt.Prefix);
        var turns = prompt.Turns.Select(turn => (Label: Tokenize(turn.Label), Content: Tokenize(turn.Content))).ToArray();
        var suffix = Tokenize(prompt.Suffix);

        var last = turns[^1];
        var used = prefix.Length + suffix.Length + last.Label.Length + last.Content.Length;
        var lastContent = last.Content;
        var omitted = 0;
        if (used > tokenBudget)
        {
            var available = tokenBudget - prefix.Length - suffix.Length - last.Label.Length;
            (lastContent, omitted) = CutMiddle(last.Content, available, tokenBudget);
            used = tokenBudget - available + lastContent.Length;
        }

        // Add earlier turns from the newest back; the first one that does not fit ends the walk, so that
        // what is kept is always a contiguous, most recent run of turns.
        var firstKept = turns.Length - 1;
        while (firstKept > 0 && omitted == 0)
        {
            var candidate = turns[firstKept - 1];
            var cost = candidate.Label.Length + candidate.Content.Length;
            if (used + cost > tokenBudget)
            {
                break;
            }

            used += cost;
            firstKept--;
        }

        var tokens = ImmutableArray.CreateBuilder<int>(used);
        tokens.AddRange(prefix);
        for (var i = firstKept; i < turns.Length - 1; i++)
        {
            tokens.AddRange(turns[i].Label);
            tokens.AddRange(turns[i].Content);
        }

        tokens.AddRange(last.Label);
        tokens.AddRange(lastContent);
        tokens.AddRange(suffix);
        return new TokenizedPrompt
        {
            Tokens = tokens.MoveToImmutable(),
            PrefixTokenCount = prefix.Length,
            SuffixTokenCount = suffix.Length,
            TokenBudget = tokenBudget,
            DroppedTurns = firstKept,
            OmittedTokens = omitted,
        };
    }

    private (int[] Tokens, int Omitted) CutMiddle(int[] content, int available, int tokenBudget)
    {
        // The marker's length depends on the number it shows, and that number on the marker's length; a few
        // rounds settle it because the count only grows while the marker can only grow by a digit or so.
        var marker = TokenizeMarker(content.Length);
        for (var round = 0; round < 4; round++)
        {
            var kept = available - marker.Length;
            if (kept < MinimumKeptContentTokens)
            {
                throw new InvalidOperationException(
                    $"The token budget of {tokenBudget} cannot hold the prompt's scaffold and {MinimumKeptContentTokens} tokens of the last turn; "
                    + "raise the context size or send fewer categories.");
            }

            var omitted = content.Length - kept;
            var next = TokenizeMarker(omitted);
            if (next.Length <= marker.Length)
            {
                var head = kept / 2;
                var tail = kept - head;
                var result = new int[head + next.Length + tail];
                content.AsSpan(0, head).CopyTo(result);
                next.CopyTo(result.AsSpan(head));
                content.AsSpan(content.Length - tail).CopyTo(result.AsSpan(head + next.Length));
                return (result, omitted);
            }

            marker = next;
        }

        throw new InvalidOperationException("The omission marker's length did not settle; the tokenizer is not deterministic.");
    }

    private int[] TokenizeMarker(int omittedTokens) => _tokenizer.Tokenize(OmissionMarker(omittedTokens), parseSpecial: false);

    private int[] Tokenize(PromptSegment segment) => _tokenizer.Tokenize(segment.Text, segment.ParseSpecial);
}
