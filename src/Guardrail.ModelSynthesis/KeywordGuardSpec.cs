using System.Globalization;
using System.Text.RegularExpressions;

namespace Guardrail.ModelSynthesis;

/// <summary>One trigger set of a keyword guard: any of <see cref="Words"/> makes the model answer <c>unsafe\n{Code}</c>.</summary>
/// <param name="Code">A Llama Guard category code, <c>S1</c> to <c>S999</c>.</param>
/// <param name="Words">Trigger words; each counts in every single-token form the Llama 3 tokenizer has for it.</param>
public sealed record KeywordTriggerSet(string Code, IReadOnlyList<string> Words);

/// <summary>
/// What a hand-weighted keyword guard model reacts to. Parsed from <c>word=Code</c> pairs separated by commas, for
/// example <c>bomb=S1,gun=S1,violin=S10</c>; words with the same code form one set. When a prompt holds triggers of
/// several sets, the set listed first wins.
/// </summary>
public sealed partial record KeywordGuardSpec
{
    /// <summary>Most trigger sets one model can hold (its residual width is fixed).</summary>
    public const int MaxTriggerSets = 16;

    public KeywordGuardSpec(IReadOnlyList<KeywordTriggerSet> triggerSets)
    {
        ArgumentNullException.ThrowIfNull(triggerSets);
        TriggerSets = triggerSets;
    }

    /// <summary>Trigger sets in priority order.</summary>
    public IReadOnlyList<KeywordTriggerSet> TriggerSets { get; }

    /// <summary>The canonical text form, <c>word=Code</c> pairs in set order; it also names the cached model.</summary>
    public override string ToString() =>
        string.Join(',', TriggerSets.SelectMany(set => set.Words.Select(word => $"{word}={set.Code}")));

    public bool Equals(KeywordGuardSpec? other) =>
        other is not null && string.Equals(ToString(), other.ToString(), StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    /// <summary>Parses <c>word=Code[,word=Code...]</c>.</summary>
    /// <exception cref="FormatException">Every problem found, one per line.</exception>
    public static KeywordGuardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var errors = new List<string>();
        var sets = new List<(string Code, List<string> Words)>();
        var codeOfWord = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var rawPair in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (rawPair.Length == 0)
            {
                errors.Add("An empty entry: write word=Code pairs separated by commas, e.g. \"bomb=S1,violin=S10\".");
                continue;
            }

            var equals = rawPair.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                errors.Add($"'{rawPair}' has no '=': write word=Code, e.g. bomb=S1.");
                continue;
            }

            var word = rawPair[..equals].Trim();
            var code = rawPair[(equals + 1)..].Trim().ToUpperInvariant();
            var valid = true;
            if (!WordPattern().IsMatch(word))
            {
                errors.Add($"'{word}' is not a trigger word: use letters, digits, '-' or apostrophes, no spaces.");
                valid = false;
            }

            if (!CodePattern().IsMatch(code))
            {
                errors.Add($"'{rawPair[(equals + 1)..].Trim()}' (for '{word}') is not a category code S1 to S999.");
                valid = false;
            }

            if (!valid)
            {
                continue;
            }

            if (codeOfWord.TryGetValue(word, out var previous))
            {
                errors.Add(string.Equals(previous, code, StringComparison.Ordinal)
                    ? $"'{word}' is listed twice for {code}."
                    : $"'{word}' is listed for both {previous} and {code}.");
                continue;
            }

            codeOfWord[word] = code;
            var set = sets.FindIndex(s => string.Equals(s.Code, code, StringComparison.Ordinal));
            if (set < 0)
            {
                sets.Add((code, [word]));
            }
            else
            {
                sets[set].Words.Add(word);
            }
        }

        if (errors.Count == 0 && sets.Count == 0)
        {
            errors.Add("No trigger given: write word=Code pairs, e.g. \"bomb=S1,violin=S10\".");
        }

        if (sets.Count > MaxTriggerSets)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{sets.Count} category codes; a keyword guard holds at most {MaxTriggerSets}."));
        }

        if (errors.Count > 0)
        {
            throw new FormatException(string.Join(Environment.NewLine, errors));
        }

        return new KeywordGuardSpec([.. sets.Select(s => new KeywordTriggerSet(s.Code, s.Words))]);
    }

    [GeneratedRegex(@"^[\p{L}\p{N}][\p{L}\p{N}'\-]*$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex WordPattern();

    [GeneratedRegex("^S[1-9][0-9]{0,2}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CodePattern();
}
