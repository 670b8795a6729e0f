using System.Text.RegularExpressions;
using Guardrail.Classification;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Policies;

public sealed partial class PolicyDescriberTests
{
    [Fact]
    public void Describe_PolicyWithOffAndCustomCategories_MatchesGolden()
    {
        var policy = PolicyTestFiles.Policy("""
            id: support
            description: Support assistant.
            taxonomy: llama-guard-3
            threshold: 0.4
            categories:
              S6: flag
              S14: off
            custom_categories:
              - code: S15
                name: Competitor Promotion
                description: Messages that praise competing products.
            applies_to:
              tenants: [acme]
            streaming:
              mode: window
              window_chars: 800
            on_error: allow
            blocked_prompt_response: refusal
            """);

        var description = HashLine().Replace(PolicyDescriber.Describe(policy), "content hash: <hash>");

        Assert.Equal(File.ReadAllText(PolicyTestFiles.TestData("describe-support.txt")), description);
    }

    [Fact]
    public void Describe_EverythingOffAndNoChecks_SaysNoPrompt()
    {
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\ndefault_action: off\nchecks: {prompts: false, responses: false}\n");

        Assert.EndsWith("prompt: (none; every category is off and no check runs)\n", PolicyDescriber.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_DefaultPolicyForOneBillionModel_MarksS14NotSentAndLeavesItOutOfThePrompt()
    {
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n");

        var description = PolicyDescriber.Describe(policy, GuardModelVariant.LlamaGuard3OneB);

        Assert.Contains("model: llama-guard-3-1b (Llama Guard 3 1B; its prompts list only the categories it was trained on)\n", description, StringComparison.Ordinal);
        Assert.Contains("  S14  block  Code Interpreter Abuse (not sent: llama-guard-3-1b was not trained on it)\n", description, StringComparison.Ordinal);
        Assert.Contains("S13: Elections.\n<END UNSAFE CONTENT CATEGORIES>", description, StringComparison.Ordinal);
        Assert.DoesNotContain("S14: Code Interpreter Abuse.", description, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_DefaultPolicyForEightBillionModel_SendsS14()
    {
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n");

        var description = PolicyDescriber.Describe(policy, GuardModelVariant.LlamaGuard3EightB);

        Assert.DoesNotContain("not sent", description, StringComparison.Ordinal);
        Assert.Contains("S14: Code Interpreter Abuse.\n<END UNSAFE CONTENT CATEGORIES>", description, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_OnlyCategoriesTheModelNeverLearnt_SaysNoPromptAndWhy()
    {
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\ndefault_action: off\ncategories:\n  S14: block\n");

        Assert.EndsWith(
            "prompt: (none; llama-guard-3-1b knows none of the enabled categories, so every check fails per on_error)\n",
            PolicyDescriber.Describe(policy, GuardModelVariant.LlamaGuard3OneB),
            StringComparison.Ordinal);
    }

    [GeneratedRegex("^content hash: [0-9a-f]{64}$", RegexOptions.Multiline | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex HashLine();
}
