using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Configuration;

namespace Guardrail.Gateway.Limits;

/// <summary>A rule and the name of the bucket it counts in (<c>key:&lt;id&gt;</c> or <c>tenant:&lt;name&gt;</c>).</summary>
internal sealed record RateLimitScope(string Name, RateLimitRule Rule);

/// <summary>
/// Decides whether a request may go on under its key's and its tenant's limits, and charges it. Requests per minute
/// and tokens per minute are <see cref="LimitBucket"/>s in the <see cref="ILimitStore"/> (this process, or Redis
/// shared by replicas); concurrent requests are System.Threading.RateLimiting's <see cref="ConcurrencyLimiter"/>,
/// per replica (a lease in Redis would outlive a replica that dies holding it).
/// </summary>
/// <remarks>
/// Token buckets are charged a prompt before it is forwarded (refused when it does not fit) and completion tokens
/// once they are known, forced: a response that runs over the budget is never cut, the debt makes the next request
/// wait instead. System.Threading.RateLimiting's windowed limiters cannot take a charge after the fact, nor report
/// the time until full for <c>x-ratelimit-reset-*</c>, hence the buckets.
/// </remarks>
internal sealed partial class GatewayRateLimiter : IDisposable
{
    private readonly RateLimitSettings _settings;
    private readonly ILimitStore _store;
    private readonly RateLimitMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ConcurrencyLimiter> _concurrency = new(StringComparer.Ordinal);

    public GatewayRateLimiter(GuardrailOptions options, ILimitStore store, RateLimitMetrics metrics, TimeProvider time, ILogger<GatewayRateLimiter> logger)
    {
        _settings = options.RateLimits;
        _store = store;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether any limit is configured; without one nothing is charged and no header is sent.</summary>
    public bool Enabled => _settings.AnyLimit;

    /// <summary>The rules <paramref name="caller"/> is held to: its key's (or the default), and its tenant's.</summary>
    public IReadOnlyList<RateLimitScope> ScopesOf(GatewayCaller caller)
    {
        var scopes = new List<RateLimitScope>(2);
        var keyRule = _settings.Keys.TryGetValue(caller.KeyId, out var own) ? own : _settings.Default;
        if (!keyRule.IsEmpty)
        {
            scopes.Add(new RateLimitScope("key:" + caller.KeyId, keyRule));
        }

        if (_settings.Tenants.TryGetValue(caller.Tenant, out var tenantRule) && !tenantRule.IsEmpty)
        {
            scopes.Add(new RateLimitScope("tenant:" + caller.Tenant, tenantRule));
        }

        return scopes;
    }

    /// <summary>
    /// Admits one request: a concurrency lease per scope that limits it, one unit of each request bucket, and a look
    /// at each token bucket (a bucket still in debt from earlier completions refuses). The admission says why when
    /// it refuses; dispose it when the request ends.
    /// </summary>
    public async ValueTask<RateLimitAdmission> AdmitAsync(GatewayCaller caller, CancellationToken cancellationToken)
    {
        var admission = new RateLimitAdmission(caller, ScopesOf(caller));
        foreach (var scope in admission.Scopes.Where(static scope => scope.Rule.ConcurrentRequests > 0))
        {
            var limiter = _concurrency.GetOrAdd(scope.Name, static (_, limit) => new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = limit, QueueLimit = 0 }), scope.Rule.ConcurrentRequests);
            var lease = limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                lease.Dispose();
                Refuse(admission, new RateLimitRefusal(
                    RateLimitKinds.Concurrency,
                    TimeSpan.FromSeconds(1),
                    string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for {Describe(scope)} on concurrent requests: limit {scope.Rule.ConcurrentRequests}. Retry when a request has finished.")));
                return admission;
            }

            admission.Hold(lease);
        }

        foreach (var scope in admission.Scopes.Where(static scope => scope.Rule.RequestsPerMinute > 0))
        {
            var (allowed, state) = await TakeAsync(scope, RateLimitKinds.Requests, scope.Rule.RequestsPerMinute, 1, force: false, cancellationToken);
            admission.Requests = Tighter(admission.Requests, state);
            if (!allowed)
            {
                Refuse(admission, new RateLimitRefusal(
                    RateLimitKinds.Requests,
                    state.RetryAfter,
                    string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for {Describe(scope)} on requests per minute: limit {scope.Rule.RequestsPerMinute}. Try again in {RateLimitHeaders.Duration(state.RetryAfter)}.")));
                return admission;
            }
        }

        foreach (var scope in admission.Scopes.Where(static scope => scope.Rule.TokensPerMinute > 0))
        {
            var (_, state) = await TakeAsync(scope, RateLimitKinds.Tokens, scope.Rule.TokensPerMinute, 0, force: false, cancellationToken);
            admission.Tokens = Tighter(admission.Tokens, state);
            if (state.Remaining == 0)
            {
                Refuse(admission, TokensRefusal(scope, state.RetryAfter));
                return admission;
            }
        }

        return admission;
    }

    /// <summary>
    /// Charges a prompt's tokens to every token bucket of the request before it is forwarded; refuses (and records
    /// the refusal on the admission) when one of them cannot take them.
    /// </summary>
    public async ValueTask<RateLimitRefusal?> ChargePromptAsync(RateLimitAdmission admission, long tokens, CancellationToken cancellationToken)
    {
        foreach (var scope in admission.Scopes.Where(static scope => scope.Rule.TokensPerMinute > 0))
        {
            if (tokens > scope.Rule.TokensPerMinute)
            {
                return Refuse(admission, new RateLimitRefusal(
                    RateLimitKinds.Tokens,
                    RetryAfter: null,
                    string.Create(CultureInfo.InvariantCulture, $"Request too large for {Describe(scope)} on tokens per minute: limit {scope.Rule.TokensPerMinute}, requested {tokens}. Send a shorter prompt.")));
            }

            var (allowed, state) = await TakeAsync(scope, RateLimitKinds.Tokens, scope.Rule.TokensPerMinute, tokens, force: false, cancellationToken);
            admission.Tokens = Tighter(admission.Tokens, state);
            if (!allowed)
            {
                return Refuse(admission, TokensRefusal(scope, state.RetryAfter));
            }
        }

        _metrics.TokensCharged(admission.Caller.Tenant, admission.Caller.KeyId, "prompt", tokens);
        return null;
    }

    /// <summary>Charges completion tokens that have been generated, forced: the response is never cut, the next request waits.</summary>
    public async ValueTask ChargeCompletionAsync(RateLimitAdmission admission, long tokens, CancellationToken cancellationToken)
    {
        if (tokens <= 0)
        {
            return;
        }

        foreach (var scope in admission.Scopes.Where(static scope => scope.Rule.TokensPerMinute > 0))
        {
            var (_, state) = await TakeAsync(scope, RateLimitKinds.Tokens, scope.Rule.TokensPerMinute, tokens, force: true, cancellationToken);
            admission.Tokens = Tighter(admission.Tokens, state);
        }

        _metrics.TokensCharged(admission.Caller.Tenant, admission.Caller.KeyId, "completion", tokens);
    }

    public void Dispose()
    {
        foreach (var limiter in _concurrency.Values)
        {
            limiter.Dispose();
        }
    }

    private async ValueTask<(bool Allowed, LimitState State)> TakeAsync(RateLimitScope scope, string kind, long limit, long cost, bool force, CancellationToken cancellationToken)
    {
        var bucket = new LimitBucket(limit);
        var now = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        var (allowed, tat) = await _store.TakeAsync(scope.Name + ":" + kind, bucket, now, cost, force, cancellationToken);
        // A look (cost 0) reports when one unit would fit, so that a bucket in debt says when to come back.
        return (allowed, bucket.State(tat, now, allowed && cost > 0 ? 0 : Math.Max(cost, 1)));
    }

    // A refused request holds no concurrency lease: it ends here.
    private RateLimitRefusal Refuse(RateLimitAdmission admission, RateLimitRefusal refusal)
    {
        admission.Dispose();
        admission.Refusal = refusal;
        _metrics.Limited(admission.Caller.Tenant, admission.Caller.KeyId, refusal.Kind);
        LogRateLimited(_logger, admission.Caller.Tenant, admission.Caller.KeyId, refusal.Kind);
        return refusal;
    }

    private static RateLimitRefusal TokensRefusal(RateLimitScope scope, TimeSpan retryAfter) =>
        new(
            RateLimitKinds.Tokens,
            retryAfter,
            string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for {Describe(scope)} on tokens per minute: limit {scope.Rule.TokensPerMinute}. Try again in {RateLimitHeaders.Duration(retryAfter)}."));

    private static string Describe(RateLimitScope scope) =>
        scope.Name.StartsWith("tenant:", StringComparison.Ordinal) ? $"tenant {scope.Name["tenant:".Length..]}" : $"key {scope.Name["key:".Length..]}";

    private static LimitState Tighter(LimitState? current, LimitState next) =>
        current is { } state && state.Remaining <= next.Remaining ? state : next;

    [LoggerMessage(EventId = GatewayEventIds.RateLimited, Level = LogLevel.Information, Message = "Rate limited: tenant {Tenant}, key {KeyId}, {Kind}")]
    private static partial void LogRateLimited(ILogger logger, string tenant, string keyId, string kind);
}
