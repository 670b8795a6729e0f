using Microsoft.Extensions.Caching.Distributed;

namespace Guardrail.Gateway.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> over <see cref="RedisClient"/>: plain Redis strings under a key prefix, with
/// absolute expiry as <c>SET ... PX</c>.
/// </summary>
/// <remarks>
/// Sliding expiration is not supported (it would need the window stored beside the value and a second command on
/// every read); setting it throws, so a caller never believes an entry slides when it does not.
/// <see cref="Refresh"/> is therefore a no-op. The synchronous members block on the asynchronous ones.
/// </remarks>
internal sealed class RedisDistributedCache(RedisClient client, string keyPrefix, TimeProvider time) : IDistributedCache
{
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return await client.GetAsync(keyPrefix + key, token);
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SlidingExpiration is not null)
        {
            throw new NotSupportedException("RedisDistributedCache supports absolute expiration only; SlidingExpiration must be null.");
        }

        TimeSpan? expiry = options.AbsoluteExpirationRelativeToNow;
        if (options.AbsoluteExpiration is { } absolute)
        {
            var remaining = absolute - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                // Already expired: storing it would only make it readable for a moment.
                await client.DeleteAsync(keyPrefix + key, token);
                return;
            }

            expiry = expiry is { } relative && relative < remaining ? relative : remaining;
        }

        await client.SetAsync(keyPrefix + key, value, expiry, token);
    }

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await client.DeleteAsync(keyPrefix + key, token);
    }
}
