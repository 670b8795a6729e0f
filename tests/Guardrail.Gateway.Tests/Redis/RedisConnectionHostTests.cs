using Guardrail.Gateway.Tests.Caching;
using StackExchange.Redis;

namespace Guardrail.Gateway.Tests.Redis;

/// <summary>
/// The process's one multiplexer against a real redis-server: AUTH with a password and as an ACL user, TLS with a CA
/// file, the database from the URL, and a server that is down at start, killed, or frozen (SIGSTOP).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisConnectionHostTests
{
    [Fact]
    public async Task Connection_RequirePass_AuthenticatesWithThePassword()
    {
        await using var server = await RedisServerProcess.StartAsync("requirepass s3cr%t");
        await using var client = RedisTestClients.Create(server.Url(":s3cr%25t"));
        await using var anonymous = RedisTestClients.Create(server.Url());
        await using var wrong = RedisTestClients.Create(server.Url(":nope"));
        var db = await client.DatabaseAsync();

        await db.StringSetAsync("auth:key", "v");

        Assert.Equal("v", (string?)await db.StringGetAsync("auth:key"));
        var noAuth = await Assert.ThrowsAnyAsync<RedisException>(async () => await (await anonymous.DatabaseAsync()).PingAsync());
        // The server answers NOAUTH; the client reports it either as that server error or, when the handshake itself
        // was refused, as a connection that failed authentication. Both are a refusal; anything else is not.
        Assert.True(
            noAuth.ToString().Contains("NOAUTH", StringComparison.Ordinal)
                || (noAuth is RedisConnectionException connection && IsAuthenticationFailure(connection)),
            noAuth.ToString());
        var refused = await Assert.ThrowsAsync<RedisConnectionException>(async () => await (await wrong.DatabaseAsync()).PingAsync());
        Assert.True(IsAuthenticationFailure(refused) || await ServerRefusedAuthenticationAsync(db, "default"), refused.ToString());
    }

    [Fact]
    public async Task Connection_AclUser_AuthenticatesAsThatUserWithItsPermissions()
    {
        // Keys under the prefix only, no pub/sub channels: what an operator gives the gateway's user.
        await using var server = await RedisServerProcess.StartAsync("user default off\nuser cache on >cache-pw ~guardrail:* resetchannels +@all");
        await using var client = RedisTestClients.Create(server.Url("cache:cache-pw"));
        await using var wrongUser = RedisTestClients.Create(server.Url("other:cache-pw"));
        var db = await client.DatabaseAsync();

        await db.StringSetAsync("guardrail:acl", "v");

        Assert.True((await client.Connection).IsConnected);
        Assert.Equal("v", (string?)await db.StringGetAsync("guardrail:acl"));
        var denied = await Assert.ThrowsAsync<RedisServerException>(async () => await db.StringGetAsync("elsewhere"));
        Assert.StartsWith("NOPERM", denied.Message, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<RedisConnectionException>(async () => await (await wrongUser.DatabaseAsync()).PingAsync());
        // The client reports the refusal as an authentication failure or, when the server closed the socket first,
        // as a connect that was cancelled; the server's ACL log says which user it refused and why.
        Assert.True(IsAuthenticationFailure(refused) || await ServerRefusedAuthenticationAsync(db, "other"), refused.ToString());
    }

    private static async Task<bool> ServerRefusedAuthenticationAsync(IDatabase db, string user)
    {
        var entries = (RedisResult[])(await db.ExecuteAsync("ACL", "LOG"))!;
        return entries.Any(entry =>
        {
            var fields = ((RedisResult[])entry!).Select(field => (string?)field).ToArray();
            var pairs = Enumerable.Range(0, fields.Length / 2).ToDictionary(i => fields[2 * i] ?? string.Empty, i => fields[(2 * i) + 1]);
            return pairs.GetValueOrDefault("reason") == "auth" && pairs.GetValueOrDefault("username") == user;
        });
    }

    [Fact]
    public async Task Connection_Rediss_TrustingTheGivenCa_RoundTrips()
    {
        await using var server = await RedisServerProcess.StartAsync(tls: true);
        await using var client = RedisTestClients.Create(server.Url(), server.CaCertificatePath);
        var db = await client.DatabaseAsync();

        await db.StringSetAsync("tls:key", "secure", TimeSpan.FromMinutes(1));

        Assert.StartsWith("rediss://", server.Url(), StringComparison.Ordinal);
        Assert.Equal("secure", (string?)await db.StringGetAsync("tls:key"));
    }

    [Fact]
    public async Task Connection_Rediss_UntrustedCertificate_NeverConnects()
    {
        await using var server = await RedisServerProcess.StartAsync(tls: true);
        await using var client = RedisTestClients.Create(server.Url());

        var multiplexer = await client.Connection;
        var error = await Assert.ThrowsAsync<RedisConnectionException>(async () => await multiplexer.GetDatabase().PingAsync());

        Assert.False(multiplexer.IsConnected);
        Assert.Contains("Authentication", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_DatabaseInTheUrl_IsSelected()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var db3 = RedisTestClients.Create(server.Url(database: 3));
        await using var db0 = RedisTestClients.Create(server.Url());

        await (await db3.DatabaseAsync()).StringSetAsync("db:key", "three");

        Assert.Equal("three", (string?)await (await db3.DatabaseAsync()).StringGetAsync("db:key"));
        Assert.True((await (await db0.DatabaseAsync()).StringGetAsync("db:key")).IsNull);
    }

    [Fact]
    public async Task StartAsync_ServerDown_ReturnsAtOnceAndConnectsOnceTheServerIsUp()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await server.KillAsync();
        await using var client = RedisTestClients.Create(server.Url());

        var start = client.StartAsync(CancellationToken.None);

        Assert.True(start.IsCompletedSuccessfully, "start-up does not wait for Redis");
        var multiplexer = await client.Connection;
        Assert.False(multiplexer.IsConnected);
        await Assert.ThrowsAsync<RedisConnectionException>(async () => await multiplexer.GetDatabase().PingAsync());

        await server.RestartAsync();
        await RedisTestClients.UntilAnsweredAsync<object>(async () => await multiplexer.GetDatabase().PingAsync(), TimeSpan.FromSeconds(30), "the multiplexer to connect in the background");
        Assert.True(multiplexer.IsConnected);
    }

    [Fact]
    public async Task Commands_ServerKilledAndRestarted_FailFastThenReconnect()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var client = RedisTestClients.Create(server.Url());
        var db = await client.DatabaseAsync();
        await db.StringSetAsync("k", "before");

        await server.KillAsync();
        await Eventually.WaitAsync(
            async () => await Record.ExceptionAsync(async () => await db.StringGetAsync("k")),
            static e => e is RedisConnectionException,
            TimeSpan.FromSeconds(30),
            "commands to fail with a connection error once the server is gone");

        await server.RestartAsync();
        await RedisTestClients.UntilAnsweredAsync<object>(async () => await db.PingAsync(), TimeSpan.FromSeconds(30), "the multiplexer to reconnect");
        await db.StringSetAsync("k", "after");
        Assert.Equal("after", (string?)await db.StringGetAsync("k"));
    }

    [Fact]
    public async Task Commands_ServerStopsAnswering_TimeOutThenRecoverWhenItResumes()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var client = RedisTestClients.Create(server.Url(), commandTimeout: TimeSpan.FromMilliseconds(300));
        var db = await client.DatabaseAsync();
        await db.StringSetAsync("k", "v");

        await server.PauseAsync();
        try
        {
            await Assert.ThrowsAsync<RedisTimeoutException>(async () => await db.StringGetAsync("k"));
        }
        finally
        {
            await server.ResumeAsync();
        }

        var value = await RedisTestClients.UntilAnsweredAsync<string>(async () => await db.StringGetAsync("k"), TimeSpan.FromSeconds(30), "the multiplexer to answer again after SIGCONT");
        Assert.Equal("v", value);
    }

    // The command fails for want of a connection; the connection failed because the server refused the credentials.
    private static bool IsAuthenticationFailure(RedisConnectionException e) =>
        e.FailureType == ConnectionFailureType.AuthenticationFailure
        || e.InnerException is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure };
}
