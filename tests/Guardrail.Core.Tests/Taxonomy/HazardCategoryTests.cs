using Guardrail.Taxonomy;

namespace Guardrail.Core.Tests.Taxonomy;

public sealed class HazardCategoryTests
{
    [Theory]
    [InlineData("S1", 1)]
    [InlineData("S14", 14)]
    [InlineData("S999", 999)]
    [InlineData("S0", null)]
    [InlineData("S01", null)]
    [InlineData("s1", null)]
    [InlineData("S1000", null)]
    [InlineData("S1\n", null)]
    [InlineData(" S1", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void ParseNumber_Code_ReturnsNumberOnlyForWellFormedCodes(string? code, int? expected)
    {
        Assert.Equal(expected, HazardCategory.ParseNumber(code));
    }

    [Fact]
    public void PromptLine_TrainedCategory_IsNameOnlyEvenWithDescription()
    {
        var category = new HazardCategory { Code = "S1", Name = "Violent Crimes", Description = "Long text." };

        Assert.Equal("S1: Violent Crimes.", category.PromptLine);
    }

    [Fact]
    public void FindProblems_ValidCategory_IsEmpty()
    {
        var category = new HazardCategory { Code = "S20", Name = "Gambling", Description = "Betting tips.", DescribeInPrompt = true };

        Assert.Empty(category.FindProblems());
        Assert.Equal("S20", HazardCategory.CodeFor(category.Number));
    }
}
