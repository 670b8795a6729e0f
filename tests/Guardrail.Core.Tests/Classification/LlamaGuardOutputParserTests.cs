using Guardrail.Classification;

namespace Guardrail.Core.Tests.Classification;

public sealed class LlamaGuardOutputParserTests
{
    [Theory]
    [InlineData("safe")]
    [InlineData("safe<|eot_id|>")]
    [InlineData("\n\nsafe \n")]
    [InlineData("safe\n<|eot_id|>")]
    [InlineData("safe\r\n")]
    public void Parse_SafeAnswer_IsSafe(string generated)
    {
        var output = LlamaGuardOutputParser.Parse(generated);

        Assert.Equal(GuardOutcome.Safe, output.Outcome);
        Assert.Empty(output.Categories);
        Assert.Null(output.Error);
    }

    [Theory]
    [InlineData("unsafe\nS1", new[] { "S1" })]
    [InlineData("unsafe\nS1,S10<|eot_id|>", new[] { "S1", "S10" })]
    [InlineData("unsafe\nS1, S2 ,S14", new[] { "S1", "S2", "S14" })]
    [InlineData("unsafe\r\nS3\r\n", new[] { "S3" })]
    [InlineData("unsafe\nS2,S2,S1", new[] { "S2", "S1" })]
    [InlineData("unsafe\nS15", new[] { "S15" })]
    [InlineData("unsafe\nS1,,S2,", new[] { "S1", "S2" })]
    public void Parse_UnsafeWithCodes_IsUnsafeWithCodesInOrder(string generated, string[] codes)
    {
        var output = LlamaGuardOutputParser.Parse(generated);

        Assert.Equal(GuardOutcome.Unsafe, output.Outcome);
        Assert.Equal(codes, output.Categories);
        Assert.Empty(output.UnparsedCategories);
    }

    [Theory]
    [InlineData("unsafe")]
    [InlineData("unsafe<|eot_id|>")]
    [InlineData("unsafe\n")]
    public void Parse_UnsafeWithoutCodes_IsUnsafeWithNoCategories(string generated)
    {
        var output = LlamaGuardOutputParser.Parse(generated);

        Assert.Equal(GuardOutcome.Unsafe, output.Outcome);
        Assert.Empty(output.Categories);
        Assert.Empty(output.UnparsedCategories);
    }

    [Theory]
    [InlineData("unsafe\nS1,violence", new[] { "S1" }, new[] { "violence" })]
    [InlineData("unsafe\nS01,s2,S1000,S0", new string[0], new[] { "S01", "s2", "S1000", "S0" })]
    [InlineData("unsafe\nS1\nbecause it is bad", new[] { "S1" }, new[] { "because it is bad" })]
    [InlineData("unsafe\nS1;S2", new string[0], new[] { "S1;S2" })]
    public void Parse_UnsafeWithMalformedCodes_StaysUnsafeAndKeepsUnparsedItems(string generated, string[] codes, string[] unparsed)
    {
        var output = LlamaGuardOutputParser.Parse(generated);

        Assert.Equal(GuardOutcome.Unsafe, output.Outcome);
        Assert.Equal(codes, output.Categories);
        Assert.Equal(unparsed, output.UnparsedCategories);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("   \n")]
    [InlineData("<|eot_id|>")]
    [InlineData("Safe")]
    [InlineData("SAFE")]
    [InlineData("Unsafe\nS1")]
    [InlineData("safe\nS1")]
    [InlineData("safe\nunsafe")]
    [InlineData("safety first")]
    [InlineData("safe<|eot_id|>unsafe")]
    [InlineData("I cannot help with that.")]
    [InlineData("unsafeS1")]
    [InlineData("S1")]
    public void Parse_AnythingElse_IsErrorNeverSafe(string? generated)
    {
        var output = LlamaGuardOutputParser.Parse(generated);

        Assert.Equal(GuardOutcome.Error, output.Outcome);
        Assert.False(string.IsNullOrEmpty(output.Error));
    }
}
