namespace Guardrail.Gateway.Limits;

/// <summary>
/// One per-minute limit as a generic cell rate algorithm (GCRA): the bucket's whole state is its theoretical arrival
/// time (TAT), the moment at which it would be full again. Taking <c>cost</c> units moves the TAT on by
/// <c>cost × interval</c> (interval = a minute / limit); it is allowed while the TAT stays within a minute of now.
/// A charge that is forced (tokens that have already been spent) may move the TAT past that, so that later
/// requests wait until the debt has returned. The same arithmetic runs in process and, atomically, in Redis.
/// </summary>
/// <param name="Limit">Units per minute (at least 1).</param>
internal readonly record struct LimitBucket(long Limit)
{
    /// <summary>The window every limit is counted over.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Milliseconds one unit keeps the bucket from being full.</summary>
    public double IntervalMilliseconds => Window.TotalMilliseconds / Limit;

    /// <summary>
    /// Takes <paramref name="cost"/> units at <paramref name="nowMilliseconds"/> from a bucket whose TAT is
    /// <paramref name="tat"/> (null for a bucket never used or expired). Returns whether it was allowed and the new TAT.
    /// </summary>
    public (bool Allowed, double Tat) Take(double? tat, double nowMilliseconds, long cost, bool force)
    {
        var start = Math.Max(tat ?? nowMilliseconds, nowMilliseconds);
        var next = start + (cost * IntervalMilliseconds);
        var allowed = force || next - nowMilliseconds <= Window.TotalMilliseconds;
        return (allowed, allowed ? next : start);
    }

    /// <summary>What the client is told about the bucket after a take that left it at <paramref name="tat"/>.</summary>
    public LimitState State(double tat, double nowMilliseconds, long refusedCost)
    {
        var full = Math.Max(0, tat - nowMilliseconds);
        var remaining = (long)Math.Floor((Window.TotalMilliseconds - full) / IntervalMilliseconds);
        var retryAfter = refusedCost > 0 ? Math.Max(0, full + (refusedCost * IntervalMilliseconds) - Window.TotalMilliseconds) : 0;
        return new LimitState(Limit, Math.Clamp(remaining, 0, Limit), TimeSpan.FromMilliseconds(full), TimeSpan.FromMilliseconds(retryAfter));
    }
}

/// <summary>A bucket as the client sees it.</summary>
/// <param name="Limit">Units per minute.</param>
/// <param name="Remaining">Units that may be taken now.</param>
/// <param name="Reset">Time until the bucket is full again (OpenAI's <c>x-ratelimit-reset-*</c>).</param>
/// <param name="RetryAfter">For a refused take, the time until it would be allowed; zero otherwise.</param>
internal sealed record LimitState(long Limit, long Remaining, TimeSpan Reset, TimeSpan RetryAfter);
