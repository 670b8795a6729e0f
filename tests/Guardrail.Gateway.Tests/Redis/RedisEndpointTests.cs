using Guardrail.Gateway.Redis;

namespace Guardrail.Gateway.Tests.Redis;

public sealed class RedisEndpointTests
{
    [Fact]
    public void TryParse_FullUrl_ReadsEveryPart()
    {
        Assert.True(RedisEndpoint.TryParse("rediss://cache:p%40ss@redis.internal:6380/4", out var endpoint, out _));

        Assert.Equal(new RedisEndpoint { Host = "redis.internal", Port = 6380, UseTls = true, User = "cache", Password = "p@ss", Database = 4 }, endpoint);
        Assert.Equal("rediss://cache@redis.internal:6380/4", endpoint!.ToString());
    }

    [Fact]
    public void TryParse_PasswordOnlyAndDefaults_AreUnderstood()
    {
        Assert.True(RedisEndpoint.TryParse("redis://secret@localhost", out var endpoint, out _));

        Assert.Equal(new RedisEndpoint { Host = "localhost", Port = 6379, Password = "secret" }, endpoint);
    }

    [Theory]
    [InlineData("localhost:6379")]
    [InlineData("http://localhost:6379")]
    [InlineData("redis://localhost/x")]
    public void TryParse_NotARedisUrl_SaysWhy(string url)
    {
        Assert.False(RedisEndpoint.TryParse(url, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
