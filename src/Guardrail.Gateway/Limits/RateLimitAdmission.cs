using System.Threading.RateLimiting;
using Guardrail.Gateway.Authentication;

namespace Guardrail.Gateway.Limits;

/// <summary>A refusal: which kind of limit, when to retry, and what the client is told.</summary>
/// <param name="Kind">One of <see cref="RateLimitKinds"/>.</param>
/// <param name="RetryAfter">When a retry could succeed; null when none could (a prompt larger than the whole limit).</param>
/// <param name="Message">A fixed text naming the limit, never another caller's data.</param>
internal sealed record RateLimitRefusal(string Kind, TimeSpan? RetryAfter, string Message);

/// <summary>
/// One request's place under its limits (<see cref="GatewayRateLimiter.AdmitAsync"/>): the concurrency leases it
/// holds until it ends, and the most constraining request and token bucket it was charged to, for the
/// <c>x-ratelimit-*</c> headers. It lives as a feature of the request's context.
/// </summary>
internal sealed class RateLimitAdmission : IDisposable
{
    private readonly List<RateLimitLease> _leases = [];

    public RateLimitAdmission(GatewayCaller caller, IReadOnlyList<RateLimitScope> scopes)
    {
        Caller = caller;
        Scopes = scopes;
    }

    public GatewayCaller Caller { get; }

    /// <summary>The rules this request is held to: its key's, and its tenant's if it has one.</summary>
    public IReadOnlyList<RateLimitScope> Scopes { get; }

    /// <summary>Why the request is refused, or null while it is admitted.</summary>
    public RateLimitRefusal? Refusal { get; internal set; }

    /// <summary>The request bucket with the fewest remaining, after this request was charged; null when no scope limits requests.</summary>
    public LimitState? Requests { get; internal set; }

    /// <summary>The token bucket with the fewest remaining, after the latest charge; null when no scope limits tokens.</summary>
    public LimitState? Tokens { get; internal set; }

    /// <summary>Whether any scope limits tokens (only then are prompt tokens counted).</summary>
    public bool LimitsTokens => Scopes.Any(static scope => scope.Rule.TokensPerMinute > 0);

    internal void Hold(RateLimitLease lease) => _leases.Add(lease);

    /// <summary>Returns the concurrency leases.</summary>
    public void Dispose()
    {
        foreach (var lease in _leases)
        {
            lease.Dispose();
        }

        _leases.Clear();
    }
}
