using System.Text.Json.Nodes;
using Guardrail.Conversations;
using Guardrail.Moderation;
using Guardrail.Policies;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// The <c>guardrail</c> object a client receives with a refusal: which decision, under which policy, why. It names
/// categories by code and name and gives the score; it never echoes the content or internal errors.
/// </summary>
internal static class GuardrailResponseObject
{
    public static JsonObject Create(ModerationOutcome outcome)
    {
        var decision = outcome.Decision;
        var categories = new JsonArray();
        foreach (var category in decision.Categories)
        {
            categories.Add(new JsonObject { ["code"] = category.Code, ["name"] = category.Name });
        }

        return new JsonObject
        {
            ["decision_id"] = outcome.DecisionId,
            ["policy"] = decision.PolicyId,
            ["policy_version"] = decision.PolicyHash,
            ["direction"] = decision.Direction == CheckDirection.Prompt ? "prompt" : "response",
            ["action"] = decision.Action == ModerationAction.Block ? "block" : decision.Action == ModerationAction.Flag ? "flag" : "allow",
            ["categories"] = categories,
            ["score"] = decision.Score,
            ["threshold"] = decision.Threshold,
            ["classifier_failed"] = decision.ClassifierFailed,
            ["audit_failed"] = outcome.AuditFailed,
        };
    }
}
