using System.Globalization;
using Guardrail.Gateway.Redis;
using StackExchange.Redis;

namespace Guardrail.Gateway.Limits;

/// <summary>
/// Buckets in Redis, shared by every replica: one Lua script per take, so reading the TAT, deciding and writing it
/// back are one atomic step however many replicas take at once. The time is the replica's (hosts are expected to
/// run NTP); the key expires when its bucket is full again, so idle buckets cost nothing.
/// </summary>
internal sealed class RedisLimitStore(RedisConnectionHost redis, TimeSpan commandTimeout, string keyPrefix) : ILimitStore
{
    // The arithmetic of LimitBucket.Take; ARGV: now (ms), interval (ms per unit), window (ms), cost, force (1 or 0).
    private const string TakeScript = """
        local now = tonumber(ARGV[1])
        local interval = tonumber(ARGV[2])
        local window = tonumber(ARGV[3])
        local cost = tonumber(ARGV[4])
        local stored = tonumber(redis.call('GET', KEYS[1]))
        local tat = now
        if stored and stored > now then tat = stored end
        local nxt = tat + cost * interval
        if ARGV[5] == '1' or nxt - now <= window then
          redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.max(1, math.ceil(nxt - now)))
          return {1, string.format('%.3f', nxt)}
        end
        return {0, string.format('%.3f', tat)}
        """;

    public async ValueTask<(bool Allowed, double Tat)> TakeAsync(string key, LimitBucket bucket, double nowMilliseconds, long cost, bool force, CancellationToken cancellationToken)
    {
        var connection = await redis.GetAsync(commandTimeout);
        var result = (RedisResult[])(await connection.GetDatabase().ScriptEvaluateAsync(
            TakeScript,
            [new RedisKey(keyPrefix + "ratelimit:" + key)],
            [nowMilliseconds, bucket.IntervalMilliseconds, LimitBucket.Window.TotalMilliseconds, cost, force ? 1 : 0]))!;
        return ((long)result[0] == 1, double.Parse((string)result[1]!, CultureInfo.InvariantCulture));
    }
}
