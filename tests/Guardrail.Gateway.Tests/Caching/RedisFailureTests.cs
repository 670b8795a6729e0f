using Guardrail.Gateway.Caching;

namespace Guardrail.Gateway.Tests.Caching;

/// <summary>RedisClient when the server dies or freezes: commands fail fast, and the client recovers on its own.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisFailureTests
{
    [Fact]
    public async Task ExecuteAsync_ServerKilledAndRestarted_FailsThenReconnects()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var client = RedisTestClients.Create(server.Url());
        await client.SetAsync("k", "before"u8.ToArray(), null, CancellationToken.None);

        await server.KillAsync();
        await Assert.ThrowsAnyAsync<RedisException>(() => client.GetAsync("k", CancellationToken.None));
        await Assert.ThrowsAnyAsync<RedisException>(() => client.GetAsync("k", CancellationToken.None));

        await server.RestartAsync();
        await Eventually.WaitAsync(
            async () =>
            {
                try
                {
                    return await client.PingAsync(CancellationToken.None);
                }
                catch (RedisException)
                {
                    return null;
                }
            },
            static reply => reply == "PONG",
            TimeSpan.FromSeconds(20),
            "the client to reconnect");
        await client.SetAsync("k", "after"u8.ToArray(), null, CancellationToken.None);
        Assert.Equal("after"u8.ToArray(), await client.GetAsync("k", CancellationToken.None));
    }

    [Fact]
    public async Task ExecuteAsync_ServerStopsAnswering_TimesOutThenRecoversWhenItResumes()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var client = RedisTestClients.Create(server.Url(), commandTimeout: TimeSpan.FromMilliseconds(300));
        await client.SetAsync("k", "v"u8.ToArray(), null, CancellationToken.None);

        await server.PauseAsync();
        try
        {
            await Assert.ThrowsAsync<RedisTimeoutException>(() => client.GetAsync("k", CancellationToken.None));

            // The timed-out connection was dropped: the next command does not queue behind the silent one forever.
            await Assert.ThrowsAnyAsync<RedisException>(() => client.GetAsync("k", CancellationToken.None));
        }
        finally
        {
            await server.ResumeAsync();
        }

        var value = await Eventually.WaitAsync(
            async () =>
            {
                try
                {
                    return await client.GetAsync("k", CancellationToken.None);
                }
                catch (RedisException)
                {
                    return null;
                }
            },
            static reply => reply is not null,
            TimeSpan.FromSeconds(20),
            "the client to recover after SIGCONT");
        Assert.Equal("v"u8.ToArray(), value);
    }
}
