namespace Guardrail.Gateway;

/// <summary>
/// Every log event id of this assembly, in one place, so that a log query for an id finds one event. Each assembly
/// owns a range (<c>docs/operations.md</c>, "Log event ids"): Guardrail.LlamaCpp 1000-1999, Guardrail.Gateway
/// 2000-6999, Guardrail.Audit 7000-7999, Guardrail.Serving 8000-8999. A retired id is never reused.
/// </summary>
internal static class GatewayEventIds
{
    // 2000-2099 forwarding
    public const int ForwardingFailed = 2001;
    public const int ClientGoneWhileForwarding = 2002;

    // 2100-2199 hosting and configuration
    public const int ConfigurationWarning = 2101;
    public const int Configured = 2102;
    public const int Listening = 2103;
    public const int DevelopmentClientKey = 2104;
    public const int DevelopmentAdminKey = 2105;

    // 2400-2499 the built-in backend
    public const int LocalBackendStarted = 2401;
    public const int LocalBackendLoadFailed = 2402;

    // 2200-2299 authentication
    public const int AuthenticationRejected = 2201;

    // 2300-2399 rate limits
    public const int RateLimited = 2301;
    public const int RateLimitStoreFallback = 2302;
    public const int RateLimitStoreShared = 2303;

    // 2500-2599 the remote classifier pool
    public const int RemoteClassifierStarted = 2501;
    public const int RemoteClassifierStartFailed = 2502;
    public const int RemoteEndpointUnhealthy = 2503;
    public const int RemoteEndpointHealthy = 2504;
    public const int RemoteEndpointBreakerOpened = 2505;
    public const int RemoteEndpointBreakerHalfOpened = 2506;
    public const int RemoteEndpointBreakerClosed = 2507;

    // 2700-2799 key rotation, admin scopes and the admin-action trail
    public const int KeyFileReloaded = 2701;
    public const int KeyFileRejected = 2702;
    public const int KeyFileWatchFailed = 2703;

    // 3000-3099 the audit log, as the gateway uses it
    public const int AuditWriteFailed = 3001;

    // 4000-4099 the classifier host
    public const int ClassifierLoadFailed = 4001;
    public const int ClassifierVariantWarning = 4002;

    // 4100-4199 Redis and the verdict cache
    public const int RedisUnreachable = 4101;
    public const int RedisReconnected = 4102;
    public const int RedisConnecting = 4103;
    public const int VerdictCacheBreakerOpened = 4111;
    public const int VerdictCacheBreakerHalfOpened = 4112;
    public const int VerdictCacheBreakerClosed = 4113;

    // 5000-5099 moderation
    public const int PromptBlocked = 5001;
    public const int ResponseBlocked = 5002;
    public const int ResponseUncheckable = 5003;
    public const int StreamCut = 5004;
    public const int UpstreamStreamBroke = 5005;

    // 6000-6099 policies
    public const int PoliciesReloaded = 6001;
    public const int PolicyChangeRejected = 6002;
    public const int PolicyModelWarning = 6003;

    // 6100-6199 the admin API
    public const int DecisionLabelled = 6101;
    public const int DecisionsExported = 6102;
}
