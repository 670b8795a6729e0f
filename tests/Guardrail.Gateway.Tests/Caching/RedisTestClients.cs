using Guardrail.Gateway.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Guardrail.Gateway.Tests.Caching;

/// <summary>The gateway's own Redis connection (its settings translated, one multiplexer) for a test server's URL.</summary>
internal static class RedisTestClients
{
    // Generous timeouts: the CI machine is shared and a loaded core must not read as a Redis failure.
    public static RedisConnectionHost Create(string url, string? caCertificatePath = null, TimeSpan? commandTimeout = null)
    {
        Assert.True(RedisEndpoint.TryParse(url, out var endpoint, out var error), error);
        return new RedisConnectionHost(
            new RedisConnectionOptions
            {
                Endpoint = endpoint!,
                CaCertificatePath = caCertificatePath,
                CommandTimeout = commandTimeout ?? TimeSpan.FromSeconds(15),
                ConnectTimeout = TimeSpan.FromSeconds(15),
            },
            NullLogger<RedisConnectionHost>.Instance);
    }

    /// <summary>The database the URL selects, once the first connection attempt has ended.</summary>
    public static async Task<IDatabase> DatabaseAsync(this RedisConnectionHost host) => (await host.Connection).GetDatabase();

    /// <summary>Runs <paramref name="probe"/> until it stops throwing Redis errors (the server is back), within <paramref name="limit"/>.</summary>
    public static async Task<T> UntilAnsweredAsync<T>(Func<Task<T?>> probe, TimeSpan limit, string what)
        where T : class =>
        (await Eventually.WaitAsync<T?>(
            async () =>
            {
                try
                {
                    return await probe();
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    return null;
                }
            },
            static value => value is not null,
            limit,
            what))!;
}
