
namespace Guardrail.ModelSynthesis.Tests;

public sealed class KeywordGuardSpecTests
{
    [Fact]
    public void Parse_PairsSharingACode_GroupsThemInFirstAppearanceOrder()
    {
        var spec = KeywordGuardSpec.Parse(" violin=S10, bomb = s1 ,gun=S1");

        Assert.Equal(["S10", "S1"], spec.TriggerSets.Select(s => s.Code));
        Assert.Equal(["violin"], spec.TriggerSets[0].Words);
        Assert.Equal(["bomb", "gun"], spec.TriggerSets[1].Words);
        Assert.Equal("violin=S10,bomb=S1,gun=S1", spec.ToString());
    }

    [Fact]
    public void Parse_SeveralMistakes_ReportsEveryOne()
    {
        var error = Assert.Throws<FormatException>(() => KeywordGuardSpec.Parse("bomb=S1,,violin,two words=S2,gun=S0,bomb=S3"));

        var lines = error.Message.Split(Environment.NewLine);
        Assert.Equal(5, lines.Length);
        Assert.Contains(lines, l => l.Contains("empty entry", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("'violin' has no '='", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("'two words' is not a trigger word", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("'S0' (for 'gun') is not a category code", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("'bomb' is listed for both S1 and S3", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_Empty_Throws()
    {
        Assert.Throws<FormatException>(() => KeywordGuardSpec.Parse("   "));
    }

    [Fact]
    public void Parse_MoreCodesThanTheModelHolds_Throws()
    {
        var text = string.Join(',', Enumerable.Range(1, KeywordGuardSpec.MaxTriggerSets + 1).Select(i => $"w{i}=S{i}"));

        var error = Assert.Throws<FormatException>(() => KeywordGuardSpec.Parse(text));

        Assert.Contains("at most 16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equals_SameCanonicalText_AreEqual()
    {
        Assert.Equal(KeywordGuardSpec.Parse("bomb=S1"), KeywordGuardSpec.Parse(" bomb = s1 "));
        Assert.NotEqual(KeywordGuardSpec.Parse("bomb=S1"), KeywordGuardSpec.Parse("bomb=S2"));
    }
}
