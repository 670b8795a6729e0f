using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Policies;

public sealed class PolicyDeciderTests
{
    private const string Base = "id: p\ntaxonomy: llama-guard-3\nthreshold: 0.5\n";

    private static readonly Policy Mixed = PolicyTestFiles.Policy(
        Base + "categories:\n  S6: flag\n  S14: off\ncustom_categories:\n  - code: S15\n    name: Competitor Promotion\n    description: Praise of competitors.\n    action: flag\n");

    private static readonly Policy FailOpen = PolicyTestFiles.Policy(Base + "on_error: allow\ncategories:\n  S6: flag\n  S14: off\n");

    private static readonly Policy AllFlag = PolicyTestFiles.Policy(Base + "default_action: flag\n");

    [Theory]
    // outcome, P(unsafe), codes, expected action (policy: threshold 0.5, S6 flag, S14 off, S15 custom flag, on_error block)
    [InlineData(GuardOutcome.Safe, 0.1, "", ModerationAction.Allow)]
    [InlineData(GuardOutcome.Safe, 0.4999, "", ModerationAction.Allow)]
    [InlineData(GuardOutcome.Safe, 0.5, "", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.4999, "S1", ModerationAction.Allow)]
    [InlineData(GuardOutcome.Unsafe, 0.5, "S1", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.99, "S1", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.5, "S6", ModerationAction.Flag)]
    [InlineData(GuardOutcome.Unsafe, 0.4999, "S6", ModerationAction.Allow)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S6,S1", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S15", ModerationAction.Flag)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S6,S15", ModerationAction.Flag)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S14", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S99", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S6,S99", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.3, "S99", ModerationAction.Allow)]
    public void Decide_FailClosedPolicy_FollowsTable(GuardOutcome outcome, double probability, string codes, ModerationAction expected)
    {
        var decision = PolicyDecider.Decide(Verdict(outcome, probability, codes), Mixed, CheckDirection.Prompt);

        Assert.Equal(expected, decision.Action);
        Assert.Equal(probability, decision.Score);
        Assert.Equal(0.5, decision.Threshold);
        Assert.Equal("p", decision.PolicyId);
        Assert.Equal(Mixed.ContentHash, decision.PolicyHash);
        Assert.False(decision.ClassifierFailed);
    }

    [Theory]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S14", ModerationAction.Flag)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S99", ModerationAction.Flag)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "", ModerationAction.Flag)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S1,S99", ModerationAction.Block)]
    [InlineData(GuardOutcome.Unsafe, 0.9, "S6", ModerationAction.Flag)]
    [InlineData(GuardOutcome.Safe, 0.9, "", ModerationAction.Block)]
    public void Decide_FailOpenPolicy_UnknownCodesAreFlaggedNeverAllowed(GuardOutcome outcome, double probability, string codes, ModerationAction expected) =>
        Assert.Equal(expected, PolicyDecider.Decide(Verdict(outcome, probability, codes), FailOpen, CheckDirection.Response).Action);

    [Fact]
    public void Decide_SafeTextOverThresholdWithOnlyFlagCategories_Flags()
    {
        var decision = PolicyDecider.Decide(Verdict(GuardOutcome.Safe, 0.6, ""), AllFlag, CheckDirection.Prompt);

        Assert.Equal(ModerationAction.Flag, decision.Action);
        Assert.Equal("P(unsafe)=0.6 >= threshold 0.5 though the model wrote safe: the score decides; no category named, so the strongest action the policy sends (flag)", decision.Reason);
    }

    [Fact]
    public void Decide_UnsafeOverThreshold_ListsCausingCategoriesWithNamesInModelOrder()
    {
        var decision = PolicyDecider.Decide(Verdict(GuardOutcome.Unsafe, 0.93, "S6,S1,S99"), Mixed, CheckDirection.Prompt);

        Assert.Equal(
            [
                new DecisionCategory("S6", "Specialized Advice", ModerationAction.Flag, Known: true),
                new DecisionCategory("S1", "Violent Crimes", ModerationAction.Block, Known: true),
                new DecisionCategory("S99", null, ModerationAction.Block, Known: false),
            ],
            decision.Categories);
        Assert.Equal("unsafe S6 (flag), S1 (block) at P(unsafe)=0.93 >= threshold 0.5; unknown category S99 -> on_error=block", decision.Reason);
        Assert.True(decision.UsedOnError);
    }

    [Fact]
    public void Decide_UnparsedCategoryItem_CountsAsUnknown()
    {
        var verdict = Verdict(GuardOutcome.Unsafe, 0.9, "S6") with { UnparsedCategories = ["violence"] };

        var decision = PolicyDecider.Decide(verdict, Mixed, CheckDirection.Prompt);

        Assert.Equal(ModerationAction.Block, decision.Action);
        Assert.Contains(decision.Categories, category => category is { Code: "violence", Known: false });
    }

    [Fact]
    public void Decide_UnsafeTextBelowThreshold_AllowsAndSaysTheScoreDecides()
    {
        var decision = PolicyDecider.Decide(Verdict(GuardOutcome.Unsafe, 0.31, "S1"), Mixed, CheckDirection.Prompt);

        Assert.Equal(ModerationAction.Allow, decision.Action);
        Assert.Empty(decision.Categories);
        Assert.Equal("the model wrote unsafe S1 but P(unsafe)=0.31 < threshold 0.5: the score decides", decision.Reason);
    }

    [Fact]
    public void Decide_UnsafeWithoutCodes_UsesOnError()
    {
        var decision = PolicyDecider.Decide(Verdict(GuardOutcome.Unsafe, 0.8, ""), Mixed, CheckDirection.Prompt);

        Assert.Equal(ModerationAction.Block, decision.Action);
        Assert.True(decision.UsedOnError);
        Assert.Equal("unsafe without a category code at P(unsafe)=0.8 >= threshold 0.5, on_error=block", decision.Reason);
    }

    [Fact]
    public void Decide_ErrorVerdictFailClosed_BlocksWithoutFailingOpen()
    {
        var decision = PolicyDecider.Decide(GuardVerdict.Failed("model not loaded"), Mixed, CheckDirection.Prompt);

        Assert.Equal(ModerationAction.Block, decision.Action);
        Assert.True(decision.ClassifierFailed);
        Assert.True(decision.UsedOnError);
        Assert.False(decision.FailedOpen);
        Assert.Null(decision.Score);
        Assert.Equal("classifier error (model not loaded), on_error=block", decision.Reason);
    }

    [Fact]
    public void Decide_ErrorVerdictFailOpen_AllowsAndCountsAsFailOpen()
    {
        var decision = PolicyDecider.Decide(GuardVerdict.Failed("timeout"), FailOpen, CheckDirection.Response);

        Assert.Equal(ModerationAction.Allow, decision.Action);
        Assert.True(decision.FailedOpen);
        Assert.Equal("classifier error (timeout), on_error=allow", decision.Reason);
    }

    [Theory]
    [InlineData(GuardOutcome.Unsafe, "S1", ModerationAction.Block)]
    [InlineData(GuardOutcome.Safe, "", ModerationAction.Allow)]
    public void Decide_NoProbability_TextDecides(GuardOutcome outcome, string codes, ModerationAction expected)
    {
        var verdict = Verdict(outcome, 0, codes) with { UnsafeProbability = null };

        Assert.Equal(expected, PolicyDecider.Decide(verdict, Mixed, CheckDirection.Prompt).Action);
    }

    [Fact]
    public void Decide_DirectionNotChecked_Allows()
    {
        var promptsOnly = PolicyTestFiles.Policy(Base + "checks: {responses: false}\n");

        var decision = PolicyDecider.Decide(Verdict(GuardOutcome.Unsafe, 0.99, "S1"), promptsOnly, CheckDirection.Response);

        Assert.Equal(ModerationAction.Allow, decision.Action);
        Assert.Equal("response checks are off in policy 'p'", decision.Reason);
        Assert.Equal(ModerationAction.Block, PolicyDecider.Decide(Verdict(GuardOutcome.Unsafe, 0.99, "S1"), promptsOnly, CheckDirection.Prompt).Action);
    }

    [Fact]
    public void Decide_ShadowSendingSameCategories_SharesVerdictAndRecordsDisagreement()
    {
        var snapshot = PolicyTestFiles.Snapshot(
            ("a.yaml", "id: main\ndefault: true\ntaxonomy: llama-guard-3\nthreshold: 0.5\ncategories: {S6: flag}\nshadow: candidate\n"),
            ("b.yaml", "id: candidate\ntaxonomy: llama-guard-3\nthreshold: 0.5\n"));
        var main = snapshot.Default;
        var shadow = snapshot.ShadowOf(main)!;

        Assert.True(PolicyDecider.SharesVerdict(main, shadow));
        var decision = PolicyDecider.Decide(Verdict(GuardOutcome.Unsafe, 0.7, "S6"), main, CheckDirection.Prompt, shadow, shadowVerdict: null);

        Assert.Equal(ModerationAction.Flag, decision.Action);
        Assert.Equal(ModerationAction.Block, decision.Shadow!.Action);
        Assert.Equal("candidate", decision.Shadow.PolicyId);
        Assert.True(decision.ShadowDisagrees);
    }

    [Fact]
    public void Decide_ShadowSendingOtherCategories_NeedsItsOwnVerdict()
    {
        var main = PolicyTestFiles.Policy(Base);
        var shadow = Mixed;

        Assert.False(PolicyDecider.SharesVerdict(main, shadow));
        Assert.Throws<ArgumentException>(() => PolicyDecider.Decide(Verdict(GuardOutcome.Safe, 0.1, ""), main, CheckDirection.Prompt, shadow, shadowVerdict: null));

        var decision = PolicyDecider.Decide(Verdict(GuardOutcome.Safe, 0.1, ""), main, CheckDirection.Prompt, shadow, Verdict(GuardOutcome.Unsafe, 0.8, "S15"));

        Assert.Equal(ModerationAction.Allow, decision.Action);
        Assert.Equal(ModerationAction.Flag, decision.Shadow!.Action);
        Assert.True(decision.ShadowDisagrees);
    }

    [Fact]
    public void Decide_ShadowAgreeing_RecordsNoDisagreementAndNoShadowWithoutOne()
    {
        var verdict = Verdict(GuardOutcome.Unsafe, 0.9, "S1");

        var withShadow = PolicyDecider.Decide(verdict, Mixed, CheckDirection.Prompt, PolicyTestFiles.Policy(Base), Verdict(GuardOutcome.Unsafe, 0.9, "S1"));
        var withoutShadow = PolicyDecider.Decide(verdict, Mixed, CheckDirection.Prompt, shadowPolicy: null, shadowVerdict: null);

        Assert.False(withShadow.ShadowDisagrees);
        Assert.Equal(ModerationAction.Block, withShadow.Shadow!.Action);
        Assert.Null(withoutShadow.Shadow);
        Assert.False(withoutShadow.ShadowDisagrees);
    }

    private static GuardVerdict Verdict(GuardOutcome outcome, double probability, string codes) => new()
    {
        Outcome = outcome,
        UnsafeProbability = probability,
        Categories = codes.Length == 0 ? [] : codes.Split(','),
    };
}
