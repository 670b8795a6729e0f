using System.Text;
using Guardrail.Auditing;
using Guardrail.Caching;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;
using Guardrail.Tracing;

namespace Guardrail.Moderation;

/// <summary>
/// Steps 4, 5 and 9 for one conversation: classify (with the policy's categories that the loaded model knows, and
/// the shadow policy's when they differ), decide, and record the decision in the audit log. A blocked decision is on disk before this
/// returns (durable write), so a client never sees a refusal whose decision could be lost.
/// </summary>
public sealed class ModerationPipeline
{
    private readonly IGuardClassifier _classifier;
    private readonly IAuditSink _audit;
    private readonly ModerationMetrics _metrics;
    private readonly AuditIdGenerator _ids;
    private readonly TimeProvider _time;
    private readonly VerdictCaching? _caching;
    private readonly Action<ModerationOutcome, Exception>? _auditFailed;

    /// <summary>Creates the pipeline over its seams.</summary>
    /// <param name="classifier">Step 4's classifier.</param>
    /// <param name="audit">Step 9's audit log.</param>
    /// <param name="metrics">Decision metrics.</param>
    /// <param name="time">The clock.</param>
    /// <param name="caching">The verdict cache in front of the classifier; null for none.</param>
    /// <param name="auditFailed">Told of every decision the audit log could not take, with why (the host logs it).</param>
    public ModerationPipeline(IGuardClassifier classifier, IAuditSink audit, ModerationMetrics metrics, TimeProvider time, VerdictCaching? caching = null, Action<ModerationOutcome, Exception>? auditFailed = null)
    {
        _auditFailed = auditFailed;
        _classifier = classifier;
        _caching = caching;
        _audit = audit;
        _metrics = metrics;
        _time = time;
        _ids = new AuditIdGenerator(time);
    }

    /// <summary>Checks <paramref name="conversation"/> in <paramref name="direction"/> under <paramref name="policy"/>.</summary>
    /// <param name="conversation">The conversation; its last turn is the one judged.</param>
    /// <param name="direction">Prompt or response check.</param>
    /// <param name="policy">The policy in force.</param>
    /// <param name="shadow">The policy's shadow, evaluated and recorded but not enforced.</param>
    /// <param name="context">Who asked, through which route.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    /// <param name="recordAllowed">
    /// False for intermediate checks of a stream: an allowed window is neither audited nor counted (the stream's
    /// final check is), while anything that flags or blocks always is.
    /// </param>
    public async ValueTask<ModerationOutcome> CheckAsync(
        Conversation conversation,
        CheckDirection direction,
        Policy policy,
        Policy? shadow,
        ModerationContext context,
        CancellationToken cancellationToken,
        bool recordAllowed = true)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(context);

        using var activity = GuardrailTracing.StartCheck(direction, policy, context);
        var (verdict, cacheHit) = await ClassifyAsync(conversation, direction, policy, context, cancellationToken);
        activity?.SetTag(GuardrailTracing.CacheHitAttribute, cacheHit);
        GuardVerdict? shadowVerdict = null;
        if (shadow is not null)
        {
            shadowVerdict = PolicyDecider.SharesVerdict(policy, shadow)
                ? verdict
                : (await ClassifyAsync(conversation, direction, shadow, context, cancellationToken)).Verdict;
        }

        var decision = PolicyDecider.Decide(verdict, policy, direction, shadow, shadowVerdict);
        var outcome = new ModerationOutcome(_ids.Next(), verdict, decision, policy);
        if (!recordAllowed && decision.Action == ModerationAction.Allow && !decision.ShadowDisagrees)
        {
            GuardrailTracing.SetOutcome(activity, outcome, audited: false);
            return outcome;
        }

        _metrics.Record(outcome);
        var recorded = await RecordAsync(outcome, ToAuditRecord(outcome, conversation, context, cacheHit), cancellationToken);
        GuardrailTracing.SetOutcome(activity, recorded, audited: !recorded.AuditFailed);
        return recorded;
    }

    /// <summary>
    /// Step 9: a blocked decision is durable before its refusal is sent (full durability), any other only queued. A
    /// record the audit log cannot take never becomes a 500: the outcome says so, and the policy's <c>on_error</c>
    /// decides (see <see cref="ModerationOutcome.RefusedUnrecorded"/>).
    /// </summary>
    private async ValueTask<ModerationOutcome> RecordAsync(ModerationOutcome outcome, AuditRecord record, CancellationToken cancellationToken)
    {
        var durability = outcome.Blocked ? AuditDurability.Full : AuditDurability.Normal;
        using var activity = GuardrailTracing.Start(GuardrailTracing.AuditWriteSpan);
        activity?.SetTag(GuardrailTracing.AuditDurabilityAttribute, durability == AuditDurability.Full ? "full" : "normal");
        activity?.SetTag(GuardrailTracing.DecisionIdAttribute, outcome.DecisionId);
        try
        {
            await _audit.WriteAsync(record, durability, cancellationToken);
            return outcome;
        }
        catch (Exception e) when (e is AuditQueueFullException or AuditWriteException)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e is AuditQueueFullException ? "audit queue full" : "audit write failed");
            var failed = outcome with { AuditFailed = true };
            _metrics.AuditFailed(failed.Decision.Action == ModerationAction.Block ? "blocked" : failed.RefusedUnrecorded ? "fail_closed" : "fail_open");
            _auditFailed?.Invoke(failed, e);
            return failed;
        }
    }

    /// <summary>
    /// Records a check that could not be run (a response too large or unreadable to check): a classifier failure,
    /// which the policy's <c>on_error</c> decides like any other.
    /// </summary>
    public async ValueTask<ModerationOutcome> RecordUncheckableAsync(
        Conversation conversation,
        CheckDirection direction,
        Policy policy,
        ModerationContext context,
        string reason,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        using var activity = GuardrailTracing.StartCheck(direction, policy, context);
        var verdict = GuardVerdict.Failed(reason);
        var outcome = new ModerationOutcome(_ids.Next(), verdict, PolicyDecider.Decide(verdict, policy, direction), policy);
        _metrics.Record(outcome);
        var recorded = await RecordAsync(outcome, ToAuditRecord(outcome, conversation, context, cacheHit: false), cancellationToken);
        GuardrailTracing.SetOutcome(activity, recorded, audited: !recorded.AuditFailed);
        return recorded;
    }

    /// <summary>The conversation as reviewers read it: one paragraph per turn, labelled like Llama Guard's prompt.</summary>
    public static string RenderForReview(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var text = new StringBuilder();
        foreach (var system in conversation.SystemMessages)
        {
            text.Append("System: ").Append(system).Append("\n\n");
        }

        foreach (var turn in conversation.Turns)
        {
            text.Append(turn.Role.Label()).Append(": ").Append(turn.Text).Append("\n\n");
        }

        return text.ToString().TrimEnd();
    }

    private async ValueTask<(GuardVerdict Verdict, bool CacheHit)> ClassifyAsync(Conversation conversation, CheckDirection direction, Policy policy, ModerationContext context, CancellationToken cancellationToken)
    {
        if (!policy.Checks(direction))
        {
            return (GuardVerdict.Failed($"{direction} checks are off in policy '{policy.Id}'."), false);
        }

        // The effective set: what this model is asked. It goes into the prompt and the cache key alike, so a verdict
        // made with one model's prompt never answers for another's.
        var variant = _classifier.Variant;
        var categories = policy.PromptCategoriesFor(variant);
        if (categories.Count == 0)
        {
            return (GuardVerdict.Failed(
                $"Policy '{policy.Id}' enables no category that {variant.Id} was trained on ({string.Join(", ", policy.CategoriesNotKnownTo(variant).Select(static c => c.Code))} only)."), false);
        }

        VerdictCacheKey? key = null;
        if (_caching is { } caching)
        {
            key = VerdictCacheKey.Create(conversation, direction, categories, caching.ClassifierModel);
            GuardVerdict? cached;
            using (var lookup = GuardrailTracing.Start(GuardrailTracing.VerdictCacheLookupSpan))
            {
                cached = await TryGetCachedAsync(caching.Cache, key.Value, cancellationToken);
                lookup?.SetTag(GuardrailTracing.CacheHitAttribute, cached is not null);
            }

            if (cached is not null)
            {
                // No classification ran: a zero latency keeps cache hits out of the classification histogram.
                return (cached with { Latency = TimeSpan.Zero }, true);
            }
        }

        var started = _time.GetTimestamp();
        GuardVerdict verdict;
        try
        {
            verdict = await _classifier.ClassifyAsync(
                new GuardRequest { Conversation = conversation, Direction = direction, Categories = categories, Tenant = context.Tenant, RequestId = context.RequestId },
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A classifier that throws is a classifier failure like any other: the policy's on_error decides.
            return (GuardVerdict.Failed("The classifier failed: " + e.GetType().Name, latency: _time.GetElapsedTime(started)), false);
        }

        if (_caching is { } store && key is { } cacheKey && VerdictCacheCodec.IsCacheable(verdict))
        {
            await TrySetCachedAsync(store.Cache, cacheKey, verdict, cancellationToken);
        }

        return (verdict, false);
    }

    // The cache is an optimisation: whatever goes wrong in it is a miss, never a failed request.
    private static async ValueTask<GuardVerdict?> TryGetCachedAsync(IVerdictCache cache, VerdictCacheKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await cache.GetAsync(key, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async ValueTask TrySetCachedAsync(IVerdictCache cache, VerdictCacheKey key, GuardVerdict verdict, CancellationToken cancellationToken)
    {
        try
        {
            await cache.SetAsync(key, verdict, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Not stored: the next identical check classifies again.
        }
    }

    private AuditRecord ToAuditRecord(ModerationOutcome outcome, Conversation conversation, ModerationContext context, bool cacheHit)
    {
        var decision = outcome.Decision;
        var verdict = outcome.Verdict;
        return new AuditRecord
        {
            Id = outcome.DecisionId,
            Time = _time.GetUtcNow(),
            Tenant = context.Tenant,
            KeyId = context.KeyId,
            Route = context.RouteId,
            Model = context.Model,
            Direction = decision.Direction,
            Verdict = verdict.Outcome,
            Action = decision.Action,
            Categories = decision.Categories.Count > 0 ? [.. decision.Categories.Select(c => c.Code)] : verdict.Categories,
            // The store keeps a number; an error verdict has none, and its verdict column says so.
            UnsafeProbability = verdict.UnsafeProbability ?? 0,
            Threshold = decision.Threshold,
            PolicyId = decision.PolicyId,
            PolicyVersion = decision.PolicyHash,
            ShadowAction = decision.Shadow?.Action,
            ClassifierModel = verdict.ModelId,
            ClassifierEndpoint = verdict.Endpoint,
            ClassificationLatency = verdict.Latency,
            Truncated = verdict.Truncated,
            RequestId = context.RequestId,
            TraceId = context.TraceId,
            Content = RenderForReview(conversation),
            ContentRetention = outcome.Policy.ContentRetention,
            CacheHit = cacheHit,
        };
    }
}
