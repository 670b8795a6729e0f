using System.Text;

namespace Guardrail.RemoteClassification.Tests;

public sealed class CompletionAnswerTests
{
    [Fact]
    public void Parse_LegacyShapeWithUnsafeAmongTheTop_ReadsItsProbability()
    {
        var answer = Parse("""
            {"model":"guard","choices":[{"text":"safe","logprobs":{"tokens":["safe"],"token_logprobs":[-0.1],"top_logprobs":[{"safe":-0.1,"unsafe":-2.5}],"text_offset":[0]}}]}
            """);

        Assert.Equal("safe", answer.Text);
        Assert.Equal(Math.Exp(-2.5), answer.UnsafeProbability, 12);
        Assert.Equal("guard", answer.Model);
    }

    [Fact]
    public void Parse_ContentShape_ReadsItsProbability()
    {
        var answer = Parse("""
            {"choices":[{"text":"unsafe\nS1","logprobs":{"content":[{"token":"unsafe","logprob":-0.01,"top_logprobs":[{"token":"unsafe","logprob":-0.01},{"token":"safe","logprob":-4.6}]}]}}]}
            """);

        Assert.Equal("unsafe\nS1", answer.Text);
        Assert.Equal(Math.Exp(-0.01), answer.UnsafeProbability, 12);
        Assert.Null(answer.Model);
    }

    [Fact]
    public void Parse_UnsafeNotAmongTheTop_ReportsTheSmallestListedAsAnUpperBound()
    {
        var answer = Parse("""
            {"choices":[{"text":"safe","logprobs":{"tokens":["safe"],"token_logprobs":[-0.01],"top_logprobs":[{"safe":-0.01,"Safe":-6.0,"SAFE":-7.0}]}}]}
            """);

        Assert.Equal(Math.Exp(-7.0), answer.UnsafeProbability, 12);
    }

    [Theory]
    [InlineData("not json at all", "not JSON")]
    [InlineData("""{"choices":[]}""", "no choices")]
    [InlineData("""{"choices":[{"text":"safe"}]}""", "no logprobs")]
    [InlineData("""{"choices":[{"text":"safe","logprobs":null}]}""", "no logprobs")]
    [InlineData("""{"choices":[{"text":"safe","logprobs":{"tokens":[],"token_logprobs":[],"top_logprobs":[]}}]}""", "no first token")]
    [InlineData("""{"choices":[{"text":"safe","logprobs":{"tokens":["safe"],"token_logprobs":[-0.1],"top_logprobs":[{}]}}]}""", "no top logprobs")]
    [InlineData("""{"choices":[{"text":"safe","logprobs":{"tokens":["safe"],"token_logprobs":[-0.1],"top_logprobs":[{"unsafe":"x"}]}}]}""", "not a number")]
    [InlineData("""{"choices":[{"text":"safe","logprobs":{"tokens":["safe"],"token_logprobs":[-0.1],"top_logprobs":[{"unsafe":3.0}]}}]}""", "at most 0")]
    [InlineData("""{"choices":[{"text":7,"logprobs":{}}]}""", "no text")]
    public void Parse_NotAUsableAnswer_Throws(string body, string reason)
    {
        var e = Assert.Throws<RemoteAnswerException>(() => Parse(body));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("total;dur=12.5", 12.5)]
    [InlineData("cache;desc=\"hit\", total;desc=all;dur=0.042", 0.042)]
    [InlineData("TOTAL; dur=3", 3.0)]
    public void ReadServerTime_TotalMetric_IsItsDuration(string header, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), CompletionAnswer.ReadServerTime([header]));

    [Theory]
    [InlineData("db;dur=5")]
    [InlineData("total")]
    [InlineData("total;dur=soon")]
    [InlineData("total;dur=-1")]
    [InlineData("")]
    public void ReadServerTime_NoUsableTotal_IsNull(string header) => Assert.Null(CompletionAnswer.ReadServerTime([header]));

    private static CompletionAnswer Parse(string json) => CompletionAnswer.Parse(Encoding.UTF8.GetBytes(json));
}
