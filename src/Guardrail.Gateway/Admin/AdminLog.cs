namespace Guardrail.Gateway.Admin;

/// <summary>Log events of the admin API (event ids 7000-7099). A label changes what reviewers and evaluation sets
/// see, so who labelled what is logged as well as stored.</summary>
internal static partial class AdminLog
{
    [LoggerMessage(EventId = GatewayEventIds.DecisionLabelled, Level = LogLevel.Information, Message = "Decision {DecisionId} labelled {Label} by {Reviewer}")]
    public static partial void Labelled(ILogger logger, string decisionId, string label, string reviewer);

    [LoggerMessage(EventId = GatewayEventIds.DecisionsExported, Level = LogLevel.Information, Message = "Exported {Written} decisions as {Format} ({Skipped} skipped)")]
    public static partial void Exported(ILogger logger, long written, string format, long skipped);
}
