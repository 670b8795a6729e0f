using Guardrail.Classification;
using Guardrail.Taxonomy;

namespace Guardrail.Core.Tests.Classification;

public sealed class GuardModelVariantTests
{
    [Theory]
    [InlineData("llama-guard-3-1b", "1B")]
    [InlineData("LLAMA-GUARD-3-8B", "8B")]
    [InlineData(" llama-guard-3-8b ", "8B")]
    public void Find_KnownId_GivesTheVariant(string id, string taxonomyModel)
    {
        var variant = GuardModelVariant.Find(id);

        Assert.NotNull(variant);
        Assert.Equal(taxonomyModel, variant.TaxonomyModel);
        Assert.Same(variant, GuardModelVariant.ForTaxonomyModel(taxonomyModel));
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("llama-guard-2-8b")]
    [InlineData("1B")]
    [InlineData("")]
    [InlineData(null)]
    public void Find_AnythingElse_IsNull(string? id) => Assert.Null(GuardModelVariant.Find(id));

    [Fact]
    public void Knows_ShippedTaxonomy_OneBillionKnowsS1ToS13AndEightBillionEverything()
    {
        var categories = TestFiles.LlamaGuard3.Categories;

        Assert.Equal(Enumerable.Range(1, 13).Select(n => $"S{n}"), GuardModelVariant.LlamaGuard3OneB.Select(categories).Select(c => c.Code));
        Assert.Same(categories, GuardModelVariant.LlamaGuard3EightB.Select(categories));
        Assert.Same(categories, GuardModelVariant.Unknown.Select(categories));
        Assert.False(GuardModelVariant.KnownToEveryVariant(TestFiles.LlamaGuard3.Find("S14")!));
        Assert.True(GuardModelVariant.KnownToEveryVariant(TestFiles.LlamaGuard3.Find("S13")!));
    }

    [Fact]
    public void Knows_CategoryWithoutModels_IsKnownToEveryVariant()
    {
        var custom = new HazardCategory { Code = "S15", Name = "Competitor Promotion", Description = "Praise of rivals.", DescribeInPrompt = true };

        Assert.All(GuardModelVariant.Known.Append(GuardModelVariant.Unknown), variant => Assert.True(variant.Knows(custom)));
        Assert.True(GuardModelVariant.KnownToEveryVariant(custom));
    }

    [Fact]
    public void Ids_AreAClosedSetOfMetricSafeLabels()
    {
        Assert.Equal(["llama-guard-3-1b", "llama-guard-3-8b"], GuardModelVariant.Known.Select(v => v.Id));
        Assert.Equal("unknown", GuardModelVariant.Unknown.Id);
        Assert.False(GuardModelVariant.Unknown.IsKnown);
    }
}
