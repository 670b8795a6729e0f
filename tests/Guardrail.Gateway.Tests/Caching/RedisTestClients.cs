using Guardrail.Gateway.Caching;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.Gateway.Tests.Caching;

internal static class RedisTestClients
{
    // Generous timeouts: the CI machine is shared and a loaded core must not read as a Redis failure.
    public static RedisClient Create(string url, string? caCertificatePath = null, TimeSpan? commandTimeout = null)
    {
        Assert.True(RedisEndpoint.TryParse(url, out var endpoint, out var error), error);
        return new RedisClient(
            new RedisClientOptions
            {
                Endpoint = endpoint!,
                CaCertificatePath = caCertificatePath,
                CommandTimeout = commandTimeout ?? TimeSpan.FromSeconds(15),
                ConnectTimeout = TimeSpan.FromSeconds(15),
                MinReconnectDelay = TimeSpan.FromMilliseconds(20),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
            },
            TimeProvider.System,
            NullLogger<RedisClient>.Instance);
    }
}
