using System.Globalization;

namespace Guardrail.ModelSynthesis;

/// <summary>The token ids a scripted generator is wired to, all taken from the real tokenizer.</summary>
internal sealed record ScriptedGeneratorPlan
{
    public required int VocabularySize { get; init; }

    public required IReadOnlyList<int> AnswerTokens { get; init; }

    public required IReadOnlyList<int> FlaggedTokens { get; init; }

    public required IReadOnlyList<int> TriggerTokens { get; init; }

    public required int EndOfTurnToken { get; init; }

    /// <summary>Most tokens the two sentences may hold together: each needs its own residual dimension.</summary>
    public const int MaxSentenceTokens = 56;

    /// <exception cref="KeywordGuardSpecException">Every problem: repeated or shared tokens, a trigger with no single-token form.</exception>
    public static ScriptedGeneratorPlan Create(ScriptedGeneratorScript script, ISynthTokenizer tokenizer, LlamaVocabularyMetadata vocabulary)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var errors = new List<string>();
        var answer = tokenizer.Tokenize(script.Answer);
        var flagged = tokenizer.Tokenize(script.FlaggedAnswer);
        foreach (var (name, tokens) in new[] { ("answer", answer), ("flagged answer", flagged) })
        {
            if (tokens.Count == 0)
            {
                errors.Add($"The {name} is empty.");
            }

            foreach (var repeated in tokens.GroupBy(t => t).Where(g => g.Count() > 1))
            {
                errors.Add($"The {name} repeats the token '{tokenizer.Piece(repeated.Key)}'; a bigram table needs every token once.");
            }
        }

        foreach (var shared in answer.Intersect(flagged))
        {
            errors.Add($"Both sentences hold the token '{tokenizer.Piece(shared)}'; they must not share tokens.");
        }

        if (answer.Count + flagged.Count > MaxSentenceTokens)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"The sentences have {answer.Count + flagged.Count} tokens together; at most {MaxSentenceTokens} fit."));
        }

        var triggers = KeywordGuardPlan.Forms(script.TriggerWord)
            .Select(form => tokenizer.Tokenize(form))
            .Where(tokens => tokens.Count == 1)
            .Select(tokens => tokens[0])
            .Distinct()
            .ToList();
        if (triggers.Count == 0)
        {
            errors.Add($"'{script.TriggerWord}' has no single-token form in the Llama 3 vocabulary, so it cannot be a trigger.");
        }

        foreach (var clash in triggers.Intersect(answer.Concat(flagged)))
        {
            errors.Add($"The trigger form '{tokenizer.Piece(clash)}' is also a token of a sentence.");
        }

        var eot = vocabulary.FindToken("<|eot_id|>");
        if (eot is null)
        {
            errors.Add($"The vocabulary '{vocabulary.Source}' has no <|eot_id|> token.");
        }

        if (errors.Count > 0)
        {
            throw new KeywordGuardSpecException(errors);
        }

        return new ScriptedGeneratorPlan
        {
            VocabularySize = vocabulary.TokenCount,
            AnswerTokens = answer,
            FlaggedTokens = flagged,
            TriggerTokens = triggers,
            EndOfTurnToken = eot!.Value,
        };
    }
}
