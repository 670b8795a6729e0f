using System.Text.RegularExpressions;
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

    [GeneratedRegex("^content hash: [0-9a-f]{64}$", RegexOptions.Multiline | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex HashLine();
}
