using System.Globalization;

namespace Guardrail.Gateway.Limits;

/// <summary>
/// OpenAI's rate-limit headers: <c>x-ratelimit-limit-requests</c>, <c>x-ratelimit-remaining-requests</c>,
/// <c>x-ratelimit-reset-requests</c> and the same three for <c>-tokens</c>, for the most constraining bucket of each
/// kind this request was charged to. A kind no rule limits is left alone (a backend's own headers pass).
/// </summary>
internal static class RateLimitHeaders
{
    public static void Write(IHeaderDictionary headers, RateLimitAdmission admission)
    {
        Write(headers, RateLimitKinds.Requests, admission.Requests);
        Write(headers, RateLimitKinds.Tokens, admission.Tokens);
    }

    /// <summary>A duration as OpenAI writes one: <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>.</summary>
    public static string Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(duration.TotalMilliseconds):0}ms");
        }

        var seconds = Math.Round(duration.TotalSeconds % 60, 3);
        return duration < TimeSpan.FromMinutes(1)
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds:0.###}s")
            : string.Create(CultureInfo.InvariantCulture, $"{(long)duration.TotalMinutes}m{seconds:0.###}s");
    }

    /// <summary>The <c>Retry-After</c> value: whole seconds, rounded up, at least one.</summary>
    public static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static void Write(IHeaderDictionary headers, string kind, LimitState? state)
    {
        if (state is not { } bucket)
        {
            return;
        }

        headers["x-ratelimit-limit-" + kind] = bucket.Limit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-" + kind] = bucket.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-" + kind] = Duration(bucket.Reset);
    }
}
