using System.Diagnostics;
using System.Globalization;
using Guardrail.Gateway.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

// Usage: dotnet run -c Release --project benchmarks/Guardrail.Cache.Benchmark -- <redis-url> <requests per phase> <concurrency>...
// The gateway's path: its settings translated to ConfigurationOptions, one multiplexer, RedisCache on top of it.
// Like redis-benchmark -P 1: every worker has one command outstanding and sends the next when the reply is in;
// SET (3-byte value, 1 h expiry) first, then GET of the same keys. Prints one line per phase and concurrency.
var url = args.Length > 0 ? args[0] : "redis://127.0.0.1:6379";
var requests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
int[] levels = args.Length > 2 ? [.. args[2..].Select(static a => int.Parse(a, CultureInfo.InvariantCulture))] : [1, 16, 64];

if (!RedisEndpoint.TryParse(url, out var endpoint, out var error))
{
    await Console.Error.WriteLineAsync($"Not a Redis URL: {error}");
    return 2;
}

var settings = new RedisConnectionOptions { Endpoint = endpoint!, CommandTimeout = TimeSpan.FromSeconds(30) };
await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(settings.ToConfigurationOptions());
using var redisCache = new RedisCache(Options.Create(new RedisCacheOptions
{
    InstanceName = "bench:",
    ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(multiplexer),
}));
IDistributedCache cache = redisCache;
var entry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };
var value = "xxx"u8.ToArray();
var keys = Enumerable.Range(0, 10_000).Select(static i => "key:" + i.ToString("D6", CultureInfo.InvariantCulture)).ToArray();

// Warm up the connection and the JIT.
await RunAsync(16, 20_000, i => cache.SetAsync(keys[i % keys.Length], value, entry));

foreach (var concurrency in levels)
{
    var set = await RunAsync(concurrency, requests, i => cache.SetAsync(keys[i % keys.Length], value, entry));
    var get = await RunAsync(concurrency, requests, async i =>
    {
        if (await cache.GetAsync(keys[i % keys.Length]) is null)
        {
            throw new InvalidOperationException("A key written by the SET phase is missing.");
        }
    });
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"c={concurrency,-3} SET {set,10:F0} ops/s   GET {get,10:F0} ops/s"));
}

return 0;

static async Task<double> RunAsync(int concurrency, int total, Func<int, Task> operation)
{
    var next = -1;
    var clock = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < total)
        {
            await operation(i);
        }
    }));
    await Task.WhenAll(workers);
    return total / clock.Elapsed.TotalSeconds;
}
