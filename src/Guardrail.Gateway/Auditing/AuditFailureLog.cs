using Guardrail.Moderation;

namespace Guardrail.Gateway.Auditing;

/// <summary>Logs every decision the audit log could not take (the pipeline counts them; see <see cref="ModerationOutcome.AuditFailed"/>).</summary>
internal sealed partial class AuditFailureLog(ILogger<AuditFailureLog> logger)
{
    public void Report(ModerationOutcome outcome, Exception error) =>
        LogAuditFailed(
            logger,
            outcome.DecisionId,
            outcome.Decision.Action.ToString().ToLowerInvariant(),
            outcome.Decision.Action == Guardrail.Policies.ModerationAction.Block ? "refused anyway" : outcome.RefusedUnrecorded ? "refused (on_error: block)" : "served unrecorded (on_error: allow)",
            error.Message);

    [LoggerMessage(EventId = GatewayEventIds.AuditWriteFailed, Level = LogLevel.Error, Message = "Decision {DecisionId} ({Action}) could not be recorded in the audit log; {Result}: {Reason}")]
    private static partial void LogAuditFailed(ILogger logger, string decisionId, string action, string result, string reason);
}
