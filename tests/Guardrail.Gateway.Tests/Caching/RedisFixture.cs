namespace Guardrail.Gateway.Tests.Caching;

/// <summary>One plain redis-server shared by a test class; each test uses keys of its own.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    internal RedisServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServerProcess.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
