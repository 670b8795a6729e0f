using System.Diagnostics;
using Guardrail.Auditing;
using Guardrail.Conversations;
using Guardrail.Moderation;
using Guardrail.Policies;

namespace Guardrail.Tracing;

/// <summary>
/// The gateway's one <see cref="ActivitySource"/> and the names of its spans and attributes, so that every moderation
/// path (chat, completions, moderations, any API added later) traces its steps the same way. Without a listener (tracing
/// off) <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and nothing here allocates.
/// </summary>
/// <remarks>
/// Attributes hold identifiers, enums, numbers and category codes, never message content: a span may leave the
/// gateway for a collector that the audit log's retention settings do not govern.
/// </remarks>
public static class GuardrailTracing
{
    /// <summary>The source name to subscribe to (<c>AddSource</c>).</summary>
    public const string SourceName = "Guardrail.Gateway";

    public const string AuthenticateSpan = "authenticate";
    public const string ResolvePolicySpan = "resolve policy";
    public const string PromptCheckSpan = "prompt check";
    public const string ResponseCheckSpan = "response check";
    public const string VerdictCacheLookupSpan = "verdict cache lookup";
    public const string AuditWriteSpan = "audit write";
    public const string StreamCutEvent = "stream cut";

    public const string TenantAttribute = "guardrail.tenant";
    public const string KeyIdAttribute = "guardrail.key_id";
    public const string AuthResultAttribute = "guardrail.auth.result";
    public const string RouteAttribute = "guardrail.route";
    public const string PolicyAttribute = "guardrail.policy";
    public const string PolicyVersionAttribute = "guardrail.policy.version";
    public const string DirectionAttribute = "guardrail.direction";
    public const string DecisionIdAttribute = "guardrail.decision_id";
    public const string VerdictAttribute = "guardrail.verdict";
    public const string ScoreAttribute = "guardrail.score";
    public const string ThresholdAttribute = "guardrail.threshold";
    public const string ActionAttribute = "guardrail.action";
    public const string CategoriesAttribute = "guardrail.categories";
    public const string ShadowActionAttribute = "guardrail.shadow_action";
    public const string ClassifierModelAttribute = "guardrail.classifier.model";
    public const string ClassifierBatchSizeAttribute = "guardrail.classifier.batch_size";
    public const string ClassifierTokensReusedAttribute = "guardrail.classifier.tokens_reused";
    public const string TruncatedAttribute = "guardrail.truncated";
    public const string CacheHitAttribute = "guardrail.cache.hit";
    public const string AuditedAttribute = "guardrail.audited";
    public const string AuditDurabilityAttribute = "guardrail.audit.durability";
    public const string StreamChoiceAttribute = "guardrail.stream.choice";
    public const string StreamReleasedBytesAttribute = "guardrail.stream.released_bytes";

    // OpenTelemetry's semantic conventions for generative AI (gen_ai.*): on the request's server span for the backend's
    // model, on the classifier's decode span for Llama Guard.
    public const string GenAiOperationAttribute = "gen_ai.operation.name";
    public const string GenAiRequestModelAttribute = "gen_ai.request.model";
    public const string GenAiInputTokensAttribute = "gen_ai.usage.input_tokens";
    public const string GenAiOutputTokensAttribute = "gen_ai.usage.output_tokens";

    /// <summary>The source every gateway span comes from.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Starts the span of one step; null when nobody listens or the trace is not sampled.</summary>
    public static Activity? Start(string name) => Source.StartActivity(name);

    /// <summary>Starts the span of one prompt or response check (one per window of a moderated stream).</summary>
    public static Activity? StartCheck(CheckDirection direction, Policy policy, ModerationContext context)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(context);
        var activity = Source.StartActivity(direction == CheckDirection.Prompt ? PromptCheckSpan : ResponseCheckSpan);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(DirectionAttribute, direction.ToWire());
            activity.SetTag(PolicyAttribute, policy.Id);
            activity.SetTag(PolicyVersionAttribute, policy.ContentHash);
            activity.SetTag(RouteAttribute, context.RouteId);
        }

        return activity;
    }

    /// <summary>What a check decided, on its span: decision id, verdict, score, action and category codes.</summary>
    /// <param name="activity">The check's span, or null.</param>
    /// <param name="outcome">The check's outcome.</param>
    /// <param name="audited">Whether the decision is in the audit log (an allowed stream window is not).</param>
    public static void SetOutcome(Activity? activity, ModerationOutcome outcome, bool audited)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        var (verdict, decision) = (outcome.Verdict, outcome.Decision);
        activity.SetTag(DecisionIdAttribute, outcome.DecisionId);
        activity.SetTag(VerdictAttribute, verdict.Outcome.ToWire());
        if (verdict.UnsafeProbability is { } score)
        {
            activity.SetTag(ScoreAttribute, score);
        }

        activity.SetTag(ThresholdAttribute, decision.Threshold);
        activity.SetTag(ActionAttribute, decision.Action.ToWire());
        var categories = decision.Categories.Count > 0 ? decision.Categories.Select(static c => c.Code).ToArray() : verdict.Categories.ToArray();
        if (categories.Length > 0)
        {
            activity.SetTag(CategoriesAttribute, categories);
        }

        if (decision.Shadow is { } shadow)
        {
            activity.SetTag(ShadowActionAttribute, shadow.Action.ToWire());
        }

        if (verdict.ModelId is { } model)
        {
            activity.SetTag(ClassifierModelAttribute, model);
        }

        if (verdict.Truncated)
        {
            activity.SetTag(TruncatedAttribute, true);
        }

        activity.SetTag(AuditedAttribute, audited);
        if (decision.ClassifierFailed)
        {
            // A fixed description: a verdict's error text is the engine's, and need not be fit for a collector.
            activity.SetStatus(ActivityStatusCode.Error, "classifier failed");
        }
        else if (outcome.AuditFailed)
        {
            activity.SetStatus(ActivityStatusCode.Error, "audit write failed");
        }
    }

    /// <summary>The W3C trace id (32 lowercase hex) of <paramref name="activity"/>, or null without one in W3C format.</summary>
    public static string? TraceIdOf(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.TraceId.ToHexString() : null;
}
