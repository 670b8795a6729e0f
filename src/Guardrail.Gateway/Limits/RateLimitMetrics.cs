using System.Diagnostics.Metrics;
using Guardrail.Gateway.Configuration;

namespace Guardrail.Gateway.Limits;

/// <summary>
/// Rate limits on the <c>Guardrail.RateLimits</c> meter. Tenant and key id labels come from the configured keys (a
/// closed set; <c>anonymous</c> when anonymous access is on), the kind from <see cref="RateLimitKinds"/>.
/// </summary>
internal sealed class RateLimitMetrics : IDisposable
{
    public const string MeterName = "Guardrail.RateLimits";

    private readonly Meter _meter;
    private readonly Counter<long> _limited;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _storeErrors;

    public RateLimitMetrics(IMeterFactory meterFactory, GuardrailOptions options)
    {
        _meter = meterFactory.Create(MeterName);
        _limited = _meter.CreateCounter<long>("guardrail_rate_limited_total", description: "Requests refused with 429 by a rate limit, by tenant, key id and kind (requests, tokens, concurrency).");
        _tokens = _meter.CreateCounter<long>("guardrail_rate_limit_tokens_total", description: "Tokens charged to token limits, by tenant, key id and source (prompt, completion).");
        _storeErrors = _meter.CreateCounter<long>("guardrail_rate_limit_store_errors_total", description: "Shared (Redis) rate-limit operations that fell back to per-replica limits, by reason (failure, circuit_open).");

        // Every configured key's series exist from the start, so that increase() sees the first refusal.
        if (!options.RateLimits.AnyLimit)
        {
            return;
        }

        var callers = options.Auth.Keys.Where(static key => key.Id is not null && key.Tenant is not null).Select(static key => (Tenant: key.Tenant!, KeyId: key.Id!)).ToList();
        if (options.Auth.AllowAnonymous)
        {
            callers.Add(("anonymous", "anonymous"));
        }

        foreach (var (tenant, keyId) in callers.Distinct())
        {
            foreach (var kind in RateLimitKinds.All)
            {
                _limited.Add(0, new("tenant", tenant), new("key_id", keyId), new("kind", kind));
            }

            foreach (var source in (string[])["prompt", "completion"])
            {
                _tokens.Add(0, new("tenant", tenant), new("key_id", keyId), new("source", source));
            }
        }

        foreach (var reason in (string[])["failure", "circuit_open"])
        {
            _storeErrors.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void Limited(string tenant, string keyId, string kind) => _limited.Add(1, new("tenant", tenant), new("key_id", keyId), new("kind", kind));

    public void TokensCharged(string tenant, string keyId, string source, long tokens) => _tokens.Add(tokens, new("tenant", tenant), new("key_id", keyId), new("source", source));

    public void StoreFailed(string reason) => _storeErrors.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}

/// <summary>The kinds of limit: the <c>kind</c> label, and the <c>type</c> of the 429's error (OpenAI's <c>requests</c> or <c>tokens</c>).</summary>
internal static class RateLimitKinds
{
    public const string Requests = "requests";
    public const string Tokens = "tokens";
    public const string Concurrency = "concurrency";

    public static readonly IReadOnlyList<string> All = [Requests, Tokens, Concurrency];
}
