namespace Guardrail.Moderation;

/// <summary>Who asked and through which route: everything about a request that a decision records.</summary>
/// <param name="Tenant">The tenant of the gateway key.</param>
/// <param name="KeyId">The key's non-secret id.</param>
/// <param name="RouteId">The route id from configuration.</param>
/// <param name="Model">The <c>model</c> the client asked for.</param>
/// <param name="RequestId">The request's trace identifier.</param>
public sealed record ModerationContext(string Tenant, string? KeyId, string RouteId, string Model, string? RequestId)
{
    /// <summary>The W3C trace id (32 hex) of the request's trace, recorded with each decision; null without one.</summary>
    public string? TraceId { get; init; }
}
