using System.Globalization;
using Guardrail.Classification;
using Guardrail.Conversations;

namespace Guardrail.Policies;

/// <summary>
/// Turns a classifier verdict into an action under a policy. The rules, in order (see <c>docs/policies.md</c>):
/// <list type="number">
/// <item>The policy does not check this direction: allow.</item>
/// <item>Error verdict: <c>on_error</c> (block, or allow counted as a fail-open).</item>
/// <item>P(unsafe) below the threshold: allow, even when the generated text said <c>unsafe</c>. The score decides,
/// as in Meta's evaluation, which thresholds the probability of the first output token.</item>
/// <item>P(unsafe) at or above the threshold and the text named categories: the strongest action among them
/// (block over flag). A code the policy did not send (unknown, or <c>off</c>), or an item that is not a code,
/// counts as <c>on_error</c> (block, or flag when <c>on_error: allow</c>): never as safe.</item>
/// <item>At or above the threshold with no category (the text said <c>safe</c>, which happens with thresholds
/// under 0.5, or <c>unsafe</c> without codes): the strongest action among the categories the policy sends when
/// the text said safe; <c>on_error</c> when the text said unsafe without codes.</item>
/// </list>
/// Without a probability (a classifier that cannot compute one), the generated text decides step 3.
/// </summary>
public static class PolicyDecider
{
    /// <summary>Decides <paramref name="verdict"/> under <paramref name="policy"/>.</summary>
    public static ModerationDecision Decide(GuardVerdict verdict, Policy policy, CheckDirection direction)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        ArgumentNullException.ThrowIfNull(policy);
        var decision = new ModerationDecision
        {
            Action = ModerationAction.Allow,
            Direction = direction,
            PolicyId = policy.Id,
            PolicyHash = policy.ContentHash,
            Score = verdict.UnsafeProbability,
            Threshold = policy.Threshold,
            Reason = string.Empty,
        };

        if (!policy.Checks(direction))
        {
            return decision with { Reason = $"{DirectionName(direction)} checks are off in policy '{policy.Id}'" };
        }

        var onError = policy.OnError == ErrorAction.Block ? ModerationAction.Block : ModerationAction.Allow;
        if (verdict.Outcome == GuardOutcome.Error)
        {
            return decision with
            {
                Action = onError,
                UsedOnError = true,
                ClassifierFailed = true,
                Reason = $"classifier error ({verdict.Error ?? "no reason given"}), on_error={OnErrorName(policy)}",
            };
        }

        var overThreshold = verdict.UnsafeProbability is { } probability
            ? probability >= policy.Threshold
            : verdict.Outcome == GuardOutcome.Unsafe;
        if (!overThreshold)
        {
            var reason = verdict.Outcome == GuardOutcome.Unsafe
                ? $"the model wrote unsafe {string.Join(",", verdict.Categories)} but {Score(verdict)} < threshold {Format(policy.Threshold)}: the score decides"
                : $"safe, {Score(verdict)} < threshold {Format(policy.Threshold)}";
            return decision with { Reason = reason };
        }

        return verdict.Outcome == GuardOutcome.Safe
            ? DecideWithoutCategories(decision, verdict, policy)
            : DecideCategories(decision, verdict, policy);
    }

    /// <summary>
    /// Decides under <paramref name="policy"/> and records what <paramref name="shadowPolicy"/> would have done.
    /// <paramref name="shadowVerdict"/> is the shadow's own verdict; pass null only when
    /// <see cref="SharesVerdict"/> is true, and the policy's verdict is reused.
    /// </summary>
    /// <exception cref="ArgumentException">No shadow verdict although the shadow sends other categories.</exception>
    public static ModerationDecision Decide(GuardVerdict verdict, Policy policy, CheckDirection direction, Policy? shadowPolicy, GuardVerdict? shadowVerdict)
    {
        var decision = Decide(verdict, policy, direction);
        if (shadowPolicy is null)
        {
            return decision;
        }

        if (shadowVerdict is null && !SharesVerdict(policy, shadowPolicy))
        {
            throw new ArgumentException(
                $"Shadow policy '{shadowPolicy.Id}' sends other categories than '{policy.Id}': classify again and pass its verdict.",
                nameof(shadowVerdict));
        }

        return decision with { Shadow = Decide(shadowVerdict ?? verdict, shadowPolicy, direction) };
    }

    /// <summary>
    /// True when <paramref name="shadowPolicy"/> would send the model exactly the prompt <paramref name="policy"/>
    /// sends (same category lines in the same order), so one verdict serves both; otherwise the shadow needs its own.
    /// </summary>
    public static bool SharesVerdict(Policy policy, Policy shadowPolicy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(shadowPolicy);
        return policy.PromptCategories.Select(static category => category.PromptLine)
            .SequenceEqual(shadowPolicy.PromptCategories.Select(static category => category.PromptLine), StringComparer.Ordinal);
    }

    private static ModerationDecision DecideWithoutCategories(ModerationDecision decision, GuardVerdict verdict, Policy policy)
    {
        var action = policy.Categories.Any(static category => category.Action == CategoryAction.Block)
            ? ModerationAction.Block
            : ModerationAction.Flag;
        return decision with
        {
            Action = action,
            Reason = $"{Score(verdict)} >= threshold {Format(policy.Threshold)} though the model wrote safe: the score decides; "
                + $"no category named, so the strongest action the policy sends ({ActionName(action)})",
        };
    }

    private static ModerationDecision DecideCategories(ModerationDecision decision, GuardVerdict verdict, Policy policy)
    {
        var unknownAction = policy.OnError == ErrorAction.Block ? ModerationAction.Block : ModerationAction.Flag;
        var categories = new List<DecisionCategory>();
        foreach (var code in verdict.Categories.Concat(verdict.UnparsedCategories).Distinct(StringComparer.Ordinal))
        {
            categories.Add(policy.FindCategory(code) is { Action: not CategoryAction.Off } policyCategory
                ? new DecisionCategory(code, policyCategory.Category.Name, policyCategory.Action == CategoryAction.Block ? ModerationAction.Block : ModerationAction.Flag, Known: true)
                : new DecisionCategory(code, Name: null, unknownAction, Known: false));
        }

        if (categories.Count == 0)
        {
            return decision with
            {
                Action = unknownAction,
                UsedOnError = true,
                Reason = $"unsafe without a category code at {Score(verdict)} >= threshold {Format(policy.Threshold)}, on_error={OnErrorName(policy)}",
            };
        }

        var action = categories.Max(static category => category.Action);
        var known = categories.Where(static category => category.Known).ToArray();
        var unknown = categories.Where(static category => !category.Known).ToArray();
        var parts = new List<string>();
        if (known.Length > 0)
        {
            parts.Add($"unsafe {string.Join(", ", known.Select(static category => $"{category.Code} ({ActionName(category.Action)})"))} "
                + $"at {Score(verdict)} >= threshold {Format(policy.Threshold)}");
        }

        if (unknown.Length > 0)
        {
            parts.Add($"unknown category {string.Join(", ", unknown.Select(static category => category.Code))} -> on_error={OnErrorName(policy)}");
        }

        return decision with
        {
            Action = action,
            Categories = categories,
            UsedOnError = unknown.Length > 0,
            Reason = string.Join("; ", parts),
        };
    }

    private static string Score(GuardVerdict verdict) =>
        verdict.UnsafeProbability is { } probability ? $"P(unsafe)={Format(probability)}" : "no P(unsafe)";

    private static string Format(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    private static string OnErrorName(Policy policy) => policy.OnError == ErrorAction.Block ? "block" : "allow";

    private static string ActionName(ModerationAction action) => action switch
    {
        ModerationAction.Block => "block",
        ModerationAction.Flag => "flag",
        _ => "allow",
    };

    private static string DirectionName(CheckDirection direction) => direction == CheckDirection.Prompt ? "prompt" : "response";
}
