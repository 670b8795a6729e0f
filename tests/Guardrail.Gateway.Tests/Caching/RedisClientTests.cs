using System.Text;
using Guardrail.Gateway.Caching;

namespace Guardrail.Gateway.Tests.Caching;

[Collection(RedisCollection.Name)]
public sealed class RedisClientTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly RedisServerProcess _server = fixture.Server;

    [Fact]
    public async Task SetAsync_ThenGetAsync_RoundTrips()
    {
        await using var client = RedisTestClients.Create(_server.Url());

        await client.SetAsync("rt:key", "hello"u8.ToArray(), expiry: null, CancellationToken.None);

        Assert.Equal("hello"u8.ToArray(), await client.GetAsync("rt:key", CancellationToken.None));
        Assert.Null(await client.GetAsync("rt:missing", CancellationToken.None));
        Assert.Equal("PONG", await client.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SetAsync_BinaryAndLargeValues_ComeBackByteForByte()
    {
        await using var client = RedisTestClients.Create(_server.Url());
        var every = Enumerable.Range(0, 256).Select(static b => (byte)b).ToArray();
        var large = new byte[3 * 1024 * 1024 + 7];
        new Random(9).NextBytes(large);

        await client.SetAsync("bin:every-byte", every, null, CancellationToken.None);
        await client.SetAsync("bin:large", large, null, CancellationToken.None);
        await client.SetAsync("bin:empty", Array.Empty<byte>(), null, CancellationToken.None);

        Assert.Equal(every, await client.GetAsync("bin:every-byte", CancellationToken.None));
        Assert.Equal(large, await client.GetAsync("bin:large", CancellationToken.None));
        Assert.Empty(Assert.IsType<byte[]>(await client.GetAsync("bin:empty", CancellationToken.None)));
    }

    [Fact]
    public async Task SetAsync_WithExpiry_TheKeyExpires()
    {
        await using var client = RedisTestClients.Create(_server.Url());

        await client.SetAsync("ttl:key", "v"u8.ToArray(), TimeSpan.FromMilliseconds(300), CancellationToken.None);

        var ttl = await client.TimeToLiveAsync("ttl:key", CancellationToken.None);
        Assert.InRange(ttl, 1, 300);
        await Eventually.WaitAsync(() => client.GetAsync("ttl:key", CancellationToken.None), static v => v is null, TimeSpan.FromSeconds(10), "the key to expire");
        Assert.Equal(-2, await client.TimeToLiveAsync("ttl:key", CancellationToken.None));
    }

    [Fact]
    public async Task DeleteAsync_And_ExpireAsync_ActOnTheKey()
    {
        await using var client = RedisTestClients.Create(_server.Url());
        await client.SetAsync("del:key", "v"u8.ToArray(), null, CancellationToken.None);

        Assert.Equal(-1, await client.TimeToLiveAsync("del:key", CancellationToken.None));
        Assert.True(await client.ExpireAsync("del:key", TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.InRange(await client.TimeToLiveAsync("del:key", CancellationToken.None), 1, 60_000);
        Assert.Equal(1, await client.DeleteAsync("del:key", CancellationToken.None));
        Assert.Equal(0, await client.DeleteAsync("del:key", CancellationToken.None));
        Assert.False(await client.ExpireAsync("del:key", TimeSpan.FromMinutes(1), CancellationToken.None));
    }

    [Fact]
    public async Task ExecuteAsync_ThousandsOfConcurrentCommandsOnOneConnection_EachGetsItsOwnReply()
    {
        await using var client = RedisTestClients.Create(_server.Url());

        var tasks = Enumerable.Range(0, 4000).Select(async i =>
        {
            var key = $"pipe:{i}";
            var value = Encoding.UTF8.GetBytes($"value-{i}-" + new string('x', i % 97));
            await client.SetAsync(key, value, TimeSpan.FromMinutes(1), CancellationToken.None);
            return (Expected: value, Actual: await client.GetAsync(key, CancellationToken.None));
        });
        var results = await Task.WhenAll(tasks);

        Assert.All(results, static r => Assert.Equal(r.Expected, r.Actual));
    }

    [Fact]
    public async Task Database_FromTheUrl_IsSelected()
    {
        await using var db3 = RedisTestClients.Create(_server.Url(database: 3));
        await using var db0 = RedisTestClients.Create(_server.Url());

        await db3.SetAsync("db:key", "three"u8.ToArray(), null, CancellationToken.None);

        Assert.Equal("three"u8.ToArray(), await db3.GetAsync("db:key", CancellationToken.None));
        Assert.Null(await db0.GetAsync("db:key", CancellationToken.None));
    }

    [Fact]
    public async Task ExecuteAsync_ErrorReply_ThrowsServerExceptionAndTheConnectionStaysUsable()
    {
        await using var client = RedisTestClients.Create(_server.Url());
        await client.SetAsync("err:list", "v"u8.ToArray(), null, CancellationToken.None);

        var error = await Assert.ThrowsAsync<RedisServerException>(() => client.ExecuteAsync(RespProtocol.Encode("LPUSH", "err:list", "x"), CancellationToken.None));

        Assert.StartsWith("WRONGTYPE", error.Message, StringComparison.Ordinal);
        Assert.Equal("PONG", await client.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ExecuteAsync_Cancelled_ThrowsAndLaterCommandsGetTheirOwnReplies()
    {
        await using var client = RedisTestClients.Create(_server.Url());
        await client.SetAsync("cancel:a", "a"u8.ToArray(), null, CancellationToken.None);
        await client.SetAsync("cancel:b", "b"u8.ToArray(), null, CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // BLPOP blocks on the server for 1 s; cancelling the wait must not shift its late reply onto the next command.
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync(RespProtocol.Encode("BLPOP", "cancel:none", "1"), soon.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync("cancel:a", cancelled.Token));

        Assert.Equal("b"u8.ToArray(), await client.GetAsync("cancel:b", CancellationToken.None));
        Assert.Equal("a"u8.ToArray(), await client.GetAsync("cancel:a", CancellationToken.None));
    }
}
