using System.Globalization;

namespace Guardrail.ModelSynthesis;

/// <summary>One trigger set resolved to token ids.</summary>
/// <param name="Code">Category code, for example <c>S10</c>.</param>
/// <param name="CodeToken">The single token that follows <c>S</c> in <c>unsafe\nS10</c> (for example <c>10</c>).</param>
/// <param name="TriggerTokens">Every token that fires this set, with the text form it came from.</param>
internal sealed record KeywordGuardTriggerTokens(string Code, int CodeToken, IReadOnlyList<(int Token, string Form)> TriggerTokens);

/// <summary>
/// The token ids a keyword guard model is wired to, all taken from the real tokenizer: the prompt's final <c>\n\n</c>,
/// the output chain <c>safe</c> / <c>unsafe</c> <c>\n</c> <c>S</c> code <c>&lt;|eot_id|&gt;</c>, and each set's triggers.
/// </summary>
internal sealed record KeywordGuardPlan
{
    public required int VocabularySize { get; init; }

    /// <summary><c>\n\n</c> (271): the last prompt token, the state that answers safe or unsafe.</summary>
    public required int AnswerToken { get; init; }

    public required int SafeToken { get; init; }

    public required int UnsafeToken { get; init; }

    public required int NewlineToken { get; init; }

    /// <summary>The <c>S</c> before a category number.</summary>
    public required int CategoryPrefixToken { get; init; }

    public required int EndOfTurnToken { get; init; }

    public required IReadOnlyList<KeywordGuardTriggerTokens> Sets { get; init; }

    /// <summary>
    /// Resolves <paramref name="spec"/> against the tokenizer.
    /// </summary>
    /// <exception cref="KeywordGuardSpecException">Every word without a single-token form (with how it tokenizes) and every clash.</exception>
    public static KeywordGuardPlan Create(KeywordGuardSpec spec, ISynthTokenizer tokenizer, LlamaVocabularyMetadata vocabulary)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var errors = new List<string>();

        int Single(string text)
        {
            var tokens = tokenizer.Tokenize(text);
            if (tokens.Count != 1)
            {
                errors.Add($"The tokenizer makes {Quote(text)} into {Describe(tokenizer, tokens)}; the output chain needs one token.");
                return -1;
            }

            return tokens[0];
        }

        var answer = Single("\n\n");
        var safe = Single("safe");
        var @unsafe = Single("unsafe");
        var newline = Single("\n");
        var prefix = Single("S");
        var eot = vocabulary.FindToken("<|eot_id|>");
        if (eot is null)
        {
            errors.Add($"The vocabulary '{vocabulary.Source}' has no <|eot_id|> token.");
        }

        foreach (var duplicate in spec.TriggerSets.GroupBy(s => s.Code, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"{duplicate.Key} is given to {duplicate.Count()} trigger sets; merge their words into one.");
        }

        var chain = new HashSet<int> { answer, safe, @unsafe, newline, prefix, eot ?? -1 };
        var sets = new List<KeywordGuardTriggerTokens>();
        var ownerOfToken = new Dictionary<int, string>();
        foreach (var set in spec.TriggerSets)
        {
            // The code must tokenize in context exactly as unsafe, \n, S, <one number token>: that is the sequence
            // greedy decoding has to reproduce for the engine's parser to read the same text back.
            var output = tokenizer.Tokenize("unsafe\n" + set.Code);
            var codeToken = -1;
            if (output.Count == 4 && output[0] == @unsafe && output[1] == newline && output[2] == prefix)
            {
                codeToken = output[3];
                chain.Add(codeToken);
            }
            else
            {
                errors.Add($"{Quote("unsafe\n" + set.Code)} tokenizes as {Describe(tokenizer, output)}, not as unsafe, \\n, S and one number token.");
            }

            var triggers = new List<(int Token, string Form)>();
            foreach (var word in set.Words)
            {
                var found = false;
                var attempts = new List<string>();
                foreach (var form in Forms(word))
                {
                    var tokens = tokenizer.Tokenize(form);
                    if (tokens.Count != 1)
                    {
                        attempts.Add($"{Quote(form)} -> {Describe(tokenizer, tokens)}");
                        continue;
                    }

                    found = true;
                    var token = tokens[0];
                    if (ownerOfToken.TryGetValue(token, out var owner))
                    {
                        if (!string.Equals(owner, set.Code, StringComparison.Ordinal))
                        {
                            errors.Add($"{Quote(form)} (token {token.ToString(CultureInfo.InvariantCulture)}) is a trigger of both {owner} and {set.Code}.");
                        }

                        continue;
                    }

                    ownerOfToken[token] = set.Code;
                    triggers.Add((token, form));
                }

                if (!found)
                {
                    errors.Add($"'{word}' has no single-token form in the Llama 3 vocabulary, so it cannot be a trigger: {string.Join("; ", attempts)}.");
                }
            }

            sets.Add(new KeywordGuardTriggerTokens(set.Code, codeToken, triggers));
        }

        foreach (var (token, code) in ownerOfToken)
        {
            if (chain.Contains(token))
            {
                errors.Add($"The trigger {Quote(tokenizer.Piece(token))} of {code} is a token the model itself answers with; choose another word.");
            }
        }

        if (errors.Count > 0)
        {
            throw new KeywordGuardSpecException(errors);
        }

        return new KeywordGuardPlan
        {
            VocabularySize = vocabulary.TokenCount,
            AnswerToken = answer,
            SafeToken = safe,
            UnsafeToken = @unsafe,
            NewlineToken = newline,
            CategoryPrefixToken = prefix,
            EndOfTurnToken = eot!.Value,
            Sets = sets,
        };
    }

    /// <summary>The forms a trigger word counts in: as given, lowercase and Capitalised, each with and without a leading space.</summary>
    internal static IEnumerable<string> Forms(string word)
    {
        var lower = word.ToLowerInvariant();
        var capitalised = lower.Length == 0 ? lower : char.ToUpperInvariant(lower[0]) + lower[1..];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stem in new[] { word, lower, capitalised })
        {
            foreach (var form in new[] { stem, " " + stem })
            {
                if (seen.Add(form))
                {
                    yield return form;
                }
            }
        }
    }

    private static string Describe(ISynthTokenizer tokenizer, IReadOnlyList<int> tokens) =>
        tokens.Count == 0
            ? "no tokens"
            : string.Join(" ", tokens.Select(t => $"{Quote(tokenizer.Piece(t))}({t.ToString(CultureInfo.InvariantCulture)})"));

    private static string Quote(string text) =>
        "'" + text.Replace("\n", "\\n", StringComparison.Ordinal) + "'";
}

/// <summary>A keyword guard spec that the Llama 3 tokenizer cannot honour; the message lists every problem.</summary>
public sealed class KeywordGuardSpecException : Exception
{
    public KeywordGuardSpecException()
    {
        Problems = [];
    }

    public KeywordGuardSpecException(string message)
        : base(message)
    {
        Problems = [message];
    }

    public KeywordGuardSpecException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    internal KeywordGuardSpecException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems))
    {
        Problems = problems;
    }

    /// <summary>Each problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
