using Guardrail.Audit.Querying;

namespace Guardrail.Audit.Tests.Querying;

public sealed class FullTextQueryTests
{
    [Theory]
    [InlineData("bomb", "\"bomb\"")]
    [InlineData("  pipe\tbomb \n", "\"pipe\" \"bomb\"")]
    [InlineData("say \"hi\"", "\"say\" \"\"\"hi\"\"\"")]
    [InlineData("a OR b*", "\"a\" \"OR\" \"b*\"")]
    public void Build_Words_EachBecomesOneQuotedString(string text, string expected)
    {
        Assert.Equal(expected, FullTextQuery.Build(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \t\n")]
    public void Build_NoWords_ReturnsNull(string? text)
    {
        Assert.Null(FullTextQuery.Build(text));
    }
}
