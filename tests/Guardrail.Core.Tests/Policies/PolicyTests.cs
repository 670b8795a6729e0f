using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Policies;

public sealed class PolicyTests
{
    private const string OffAndCustom = """
        id: support
        taxonomy: llama-guard-3
        categories:
          S3: off
          S6: flag
          S14: off
        custom_categories:
          - code: S15
            name: Competitor Promotion
            description: >-
              Messages that recommend, praise or link to products of competing companies.
            action: block
          - code: S17
            name: Retired Topic
            description: A category kept for its code only.
            action: off
        """;

    [Fact]
    public void PromptCategories_OffCategories_LeftOutWithCodesKeptAndCustomLast()
    {
        var policy = PolicyTestFiles.Policy(OffAndCustom);

        Assert.Equal(
            ["S1", "S2", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13", "S15"],
            policy.PromptCategories.Select(category => category.Code));
        Assert.Equal(16, policy.Categories.Count);
        Assert.Equal("S17", policy.Categories[^1].Code);
    }

    [Fact]
    public void PromptCategories_OffAndCustomCategory_PromptMatchesGolden()
    {
        var policy = PolicyTestFiles.Policy(OffAndCustom);
        var conversation = new Conversation([ConversationTurn.User("Which laptop should I buy instead of yours?")]);

        var prompt = LlamaGuardPromptBuilder.Build(conversation, CheckDirection.Prompt, policy.PromptCategories);

        Assert.Equal(File.ReadAllText(PolicyTestFiles.TestData("off-and-custom-category.txt")), prompt.Render());
    }

    [Fact]
    public void PromptCategoriesFor_OneBillionModel_LeavesOutS14AndKeepsCustomCategories()
    {
        var policy = PolicyTestFiles.Policy("""
            id: p
            taxonomy: llama-guard-3
            categories:
              S3: off
            custom_categories:
              - code: S15
                name: Competitor Promotion
                description: Messages that praise competing products.
            """);

        Assert.Equal(
            ["S1", "S2", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13", "S15"],
            policy.PromptCategoriesFor(GuardModelVariant.LlamaGuard3OneB).Select(category => category.Code));
        Assert.Equal(["S14"], policy.CategoriesNotKnownTo(GuardModelVariant.LlamaGuard3OneB).Select(category => category.Code));
    }

    [Fact]
    public void PromptCategoriesFor_EightBillionOrUnknownModel_IsEveryEnabledCategory()
    {
        var policy = PolicyTestFiles.Policy(OffAndCustom);

        Assert.Equal(policy.PromptCategories, policy.PromptCategoriesFor(GuardModelVariant.LlamaGuard3EightB));
        Assert.Equal(policy.PromptCategories, policy.PromptCategoriesFor(GuardModelVariant.Unknown));
        Assert.Empty(policy.CategoriesNotKnownTo(GuardModelVariant.LlamaGuard3EightB));
        Assert.Empty(policy.CategoriesNotKnownTo(GuardModelVariant.Unknown));
    }

    [Fact]
    public void CategoriesNotKnownTo_S14Off_IsEmpty()
    {
        var policy = PolicyTestFiles.Policy(OffAndCustom);

        Assert.Empty(policy.CategoriesNotKnownTo(GuardModelVariant.LlamaGuard3OneB));
        Assert.Equal(policy.PromptCategories, policy.PromptCategoriesFor(GuardModelVariant.LlamaGuard3OneB));
    }

    [Theory]
    [InlineData("", true, true)]
    [InlineData("checks: {prompts: false}\n", false, true)]
    [InlineData("checks: {responses: false}\n", true, false)]
    public void Checks_Direction_FollowsChecksSettings(string extra, bool prompts, bool responses)
    {
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n" + extra);

        Assert.Equal(prompts, policy.Checks(CheckDirection.Prompt));
        Assert.Equal(responses, policy.Checks(CheckDirection.Response));
    }

    [Fact]
    public void Load_NothingOptionalGiven_UsesDocumentedDefaults()
    {
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n");

        Assert.Equal(0.5, policy.Threshold);
        Assert.Equal(CategoryAction.Block, policy.DefaultAction);
        Assert.Equal(new StreamingSettings { Mode = StreamingMode.Window, WindowChars = 1000, OverlapChars = 200 }, policy.Streaming);
        Assert.Equal(ErrorAction.Block, policy.OnError);
        Assert.Equal(BlockedPromptResponse.Error, policy.BlockedPromptResponse);
        Assert.Null(policy.ContentRetention);
        Assert.Equal(Policy.DefaultRefusalText, policy.RefusalText);
        Assert.True(policy.AppliesTo.IsEmpty);
        Assert.Null(policy.Shadow);
    }

    [Fact]
    public void Load_SmallWindowWithoutOverlap_DefaultOverlapStaysBelowWindow()
    {
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\nstreaming: {window_chars: 100}\n");

        Assert.Equal(100, policy.Streaming.WindowChars);
        Assert.Equal(50, policy.Streaming.OverlapChars);
    }

    [Theory]
    [InlineData("llama-3.1-8b", true)]
    [InlineData("llama-3.1-", true)]
    [InlineData("llama-3.2-1b", false)]
    [InlineData("gpt-4o", true)]
    [InlineData("gpt-4o-mini", false)]
    public void AppliesToMatches_ModelPatterns_ExactOrTrailingStarPrefix(string model, bool expected)
    {
        var appliesTo = new PolicyAppliesTo { Models = ["llama-3.1-*", "gpt-4o"] };

        Assert.Equal(expected, appliesTo.Matches(tenant: null, model, routeId: null));
    }
}
