using System.Diagnostics;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Moderation;
using Guardrail.Policies;

namespace Guardrail.Gateway.Limits;

/// <summary>
/// Answers a request a rate limit refused: records it in the audit log (verdict <c>not_checked</c>, action
/// <c>block</c>, refusal <c>rate_limit:KIND</c>, no content) and sends the 429 with the record's id in
/// <c>x-guardrail-decision-id</c>, so that a client's refusal can be looked up like any other.
/// </summary>
/// <remarks>
/// The record is written best effort (<see cref="AuditDurability.BestEffort"/>): a flood of refused requests is
/// exactly what a limit is for, and it must never take the audit queue's room from decisions. The metric
/// <c>guardrail_rate_limited_total</c> counts every refusal; <c>guardrail_audit_dropped_total</c> counts the records
/// that were not written.
/// </remarks>
internal sealed class LimitRefusalRecorder(IAuditSink audit, TimeProvider time)
{
    /// <summary>The prefix of <see cref="AuditRecord.Refusal"/> for a rate limit; the limit's kind follows.</summary>
    public const string RefusalPrefix = "rate_limit:";

    private readonly AuditIdGenerator _ids = new(time);

    /// <param name="context">The refused request.</param>
    /// <param name="refusal">Which limit refused it, and when to retry.</param>
    /// <param name="model">The model the body named, when the body had been read; null before.</param>
    public async Task RefuseAsync(HttpContext context, RateLimitRefusal refusal, string? model)
    {
        var caller = context.GetCaller();
        var record = new AuditRecord
        {
            Id = _ids.Next(),
            Time = time.GetUtcNow(),
            Tenant = caller.Tenant,
            KeyId = caller.KeyId,
            Route = context.GetReverseProxyFeature().Route.Config.RouteId,
            // Refused before the body was read or a policy chosen: the record says so rather than guess.
            Model = model ?? "",
            Direction = CheckDirection.Prompt,
            Verdict = GuardOutcome.NotChecked,
            Action = ModerationAction.Block,
            PolicyId = "",
            PolicyVersion = "",
            RequestId = context.TraceIdentifier,
            TraceId = Activity.Current is { } activity ? activity.TraceId.ToHexString() : null,
            Refusal = RefusalPrefix + refusal.Kind,
            ContentRetention = ContentRetention.None,
        };

        context.Response.Headers[ModerationMiddleware.DecisionIdHeader] = record.Id;
        try
        {
            await audit.WriteAsync(record, AuditDurability.BestEffort, context.RequestAborted);
        }
        catch (ObjectDisposedException)
        {
            // Shutting down: the refusal is still answered.
        }

        await OpenAIError.WriteRateLimitedAsync(context, refusal);
    }
}
