namespace Guardrail.Gateway;

/// <summary>
/// Every log event id of this assembly, in one place, so that a log query for an id finds one event. Each assembly
/// has its own range (see <c>docs/operations.md</c>, "Log event ids"): Guardrail.LlamaCpp 1000-1999,
/// Guardrail.Gateway 2000-6999, Guardrail.Audit 7000-7999, Guardrail.Serving 8000-8999. Never reuse a retired id.
/// </summary>
internal static class GatewayEventIds
{
    // 2000-2099 forwarding
    public const int ForwardingFailed = 2001;
    public const int ClientGoneWhileForwarding = 2002;

    // 2100-2199 hosting and configuration
    public const int ConfigurationWarning = 2101;
    public const int Configured = 2102;

    // 2200-2299 authentication
    public const int AuthenticationRejected = 2201;

    // 3000-3099 audit (the gateway's side of it)
    public const int AuditWriteFailed = 3001;
}
