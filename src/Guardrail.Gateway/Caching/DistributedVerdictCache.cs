using Guardrail.Caching;
using Guardrail.Classification;
using Microsoft.Extensions.Caching.Distributed;

namespace Guardrail.Gateway.Caching;

/// <summary>Verdicts in any <see cref="IDistributedCache"/>, encoded by <see cref="VerdictCacheCodec"/>, with a fixed time to live.</summary>
internal sealed class DistributedVerdictCache(IDistributedCache cache, TimeSpan timeToLive) : IVerdictCache
{
    private readonly DistributedCacheEntryOptions _entry = new() { AbsoluteExpirationRelativeToNow = timeToLive };

    public async ValueTask<GuardVerdict?> GetAsync(VerdictCacheKey key, CancellationToken cancellationToken)
    {
        var value = await cache.GetAsync(key.Value, cancellationToken);
        return value is null ? null : VerdictCacheCodec.Decode(value);
    }

    public async ValueTask SetAsync(VerdictCacheKey key, GuardVerdict verdict, CancellationToken cancellationToken)
    {
        if (VerdictCacheCodec.Encode(verdict) is { } value)
        {
            await cache.SetAsync(key.Value, value, _entry, cancellationToken);
        }
    }
}
