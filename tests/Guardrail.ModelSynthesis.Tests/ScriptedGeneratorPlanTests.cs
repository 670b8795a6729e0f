namespace Guardrail.ModelSynthesis.Tests;

public sealed class ScriptedGeneratorPlanTests
{
    [Fact]
    public void Create_DefaultScript_WiresBothSentencesAndTheTriggerFromTheRealTokenizer()
    {
        var plan = Create(ScriptedGeneratorScript.Default);

        Assert.Equal(10, plan.AnswerTokens.Count);
        Assert.Equal(ScriptedGeneratorScript.Default.Answer, string.Concat(plan.AnswerTokens.Select(Llama3Vocabulary.Tokenizer.Piece)));
        Assert.Equal(ScriptedGeneratorScript.Default.FlaggedAnswer, string.Concat(plan.FlaggedTokens.Select(Llama3Vocabulary.Tokenizer.Piece)));
        Assert.Contains(Llama3Vocabulary.Tokenizer.Tokenize(" dragon").Single(), plan.TriggerTokens);
        Assert.Equal(128009, plan.EndOfTurnToken);
    }

    [Fact]
    public void Create_DefaultScriptsFlaggedAnswer_HoldsAWordTheMatchingKeywordGuardFlags()
    {
        var guard = KeywordGuardPlan.Create(KeywordGuardSpec.Parse(ScriptedGeneratorScript.MatchingKeywordGuard), Llama3Vocabulary.Tokenizer, Llama3Vocabulary.Metadata);
        var plan = Create(ScriptedGeneratorScript.Default);
        var guardTriggers = guard.Sets.SelectMany(s => s.TriggerTokens).Select(t => t.Token).ToHashSet();

        Assert.Contains(plan.FlaggedTokens, guardTriggers.Contains);
        Assert.DoesNotContain(plan.AnswerTokens, guardTriggers.Contains);
        Assert.DoesNotContain(plan.TriggerTokens, guardTriggers.Contains);
    }

    [Theory]
    [InlineData("I saw the cat and the dog", "dragon", "Yes!", "repeats the token ' the'")]
    [InlineData("A cat.", "dragon", "A dog.", "Both sentences hold the token")]
    [InlineData("A cat.", "xylophonist", "Yes!", "'xylophonist' has no single-token form")]
    [InlineData("A cat.", "cat", "Yes!", "The trigger form ' cat' is also a token of a sentence")]
    public void Create_ScriptThatCannotBeWired_RefusedSayingWhy(string answer, string trigger, string flagged, string problem)
    {
        var error = Assert.Throws<KeywordGuardSpecException>(() => Create(new ScriptedGeneratorScript(answer, trigger, flagged)));

        Assert.Contains(error.Problems, p => p.Contains(problem, StringComparison.Ordinal));
    }

    private static ScriptedGeneratorPlan Create(ScriptedGeneratorScript script) =>
        ScriptedGeneratorPlan.Create(script, Llama3Vocabulary.Tokenizer, Llama3Vocabulary.Metadata);
}
