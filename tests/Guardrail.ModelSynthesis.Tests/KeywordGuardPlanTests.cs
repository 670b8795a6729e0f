namespace Guardrail.ModelSynthesis.Tests;

public sealed class KeywordGuardPlanTests
{
    [Fact]
    public void Create_BombAndViolin_UsesTheRealLlama3TokenIds()
    {
        var plan = Create("bomb=S1,violin=S10");

        Assert.Equal(271, plan.AnswerToken);
        Assert.Equal(19193, plan.SafeToken);
        Assert.Equal(39257, plan.UnsafeToken);
        Assert.Equal(198, plan.NewlineToken);
        Assert.Equal(50, plan.CategoryPrefixToken);
        Assert.Equal(128009, plan.EndOfTurnToken);
        Assert.Equal(16, plan.Sets[0].CodeToken);
        Assert.Equal(605, plan.Sets[1].CodeToken);
        Assert.Equal([("bomb", 79444), (" bomb", 13054), ("Bomb", 92826), (" Bomb", 33909)], plan.Sets[0].TriggerTokens.Select(t => (t.Form, t.Token)));
        // "violin" and " Violin" are two tokens each; only " violin" is a single token.
        Assert.Equal([(" violin", 63137)], plan.Sets[1].TriggerTokens.Select(t => (t.Form, t.Token)));
    }

    [Fact]
    public void Create_WordWithoutSingleTokenForm_RefusedShowingHowItTokenizes()
    {
        var error = Assert.Throws<KeywordGuardSpecException>(() => Create("bomb=S1,xylophonist=S2"));

        var problem = Assert.Single(error.Problems);
        Assert.Contains("'xylophonist' has no single-token form", problem, StringComparison.Ordinal);
        Assert.Contains("' xylophonist' -> ' xy'(31884) 'lo'(385) 'phon'(52801) 'ist'(380)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_TriggerThatIsAnOutputToken_Refused()
    {
        var error = Assert.Throws<KeywordGuardSpecException>(() => Create("safe=S1"));

        Assert.Contains(error.Problems, p => p.Contains("'safe' of S1 is a token the model itself answers with", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_SameTokenInTwoSets_Refused()
    {
        // Parse refuses this spelling; a spec built in code reaches the token-level check.
        var spec = new KeywordGuardSpec([new KeywordTriggerSet("S1", ["gun"]), new KeywordTriggerSet("S2", ["Gun"])]);

        var error = Assert.Throws<KeywordGuardSpecException>(() => Create(spec));

        Assert.Contains(error.Problems, p => p.Contains("is a trigger of both S1 and S2", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_SameCodeForTwoSetsAndCodeNotOneToken_ReportsBoth()
    {
        var spec = new KeywordGuardSpec([new KeywordTriggerSet("S1", ["bomb"]), new KeywordTriggerSet("S1", ["gun"]), new KeywordTriggerSet("S1000", ["violin"])]);

        var error = Assert.Throws<KeywordGuardSpecException>(() => Create(spec));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("S1 is given to 2 trigger sets", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("'unsafe\\nS1000' tokenizes as", StringComparison.Ordinal));
    }

    [Fact]
    public void Forms_MixedCaseWord_AsGivenLowercaseAndCapitalisedWithAndWithoutSpace()
    {
        Assert.Equal(["bOmb", " bOmb", "bomb", " bomb", "Bomb", " Bomb"], KeywordGuardPlan.Forms("bOmb"));
        Assert.Equal(["bomb", " bomb", "Bomb", " Bomb"], KeywordGuardPlan.Forms("bomb"));
    }

    private static KeywordGuardPlan Create(string spec) => Create(KeywordGuardSpec.Parse(spec));

    private static KeywordGuardPlan Create(KeywordGuardSpec spec) =>
        KeywordGuardPlan.Create(spec, Llama3Vocabulary.Tokenizer, Llama3Vocabulary.Metadata);
}
