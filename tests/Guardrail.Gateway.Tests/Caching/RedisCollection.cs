namespace Guardrail.Gateway.Tests.Caching;

/// <summary>
/// Tests against a real redis-server run on their own, after the parallel tests: their timeouts are real, and on a
/// two-core machine shared with model loading, Chromium and Prometheus a busy thread pool could otherwise push a
/// reply past a timeout that measures nothing but the machine's load.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisCollection
{
    public const string Name = "Real redis-server";
}
