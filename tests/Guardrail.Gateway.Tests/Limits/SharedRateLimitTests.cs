using System.Net;
using Guardrail.Gateway.Tests.Caching;
using Guardrail.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Limits;

/// <summary>
/// Limits shared by two gateways through one real redis-server, and what happens when it dies: per-replica limits,
/// never a 5xx. Both gateways run on one fake clock, so buckets refill only when the test moves it.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SharedRateLimitTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private RedisServerProcess _redis = null!;
    private TestBackend? _backend;
    private GatewayServer? _first;
    private GatewayServer? _second;

    private GatewayServer First => _first!;

    private GatewayServer Second => _second!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServerProcess.StartAsync();
        try
        {
            _backend = await TestBackend.StartAsync();
            _first = await StartGatewayAsync();
            _second = await StartGatewayAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in new[] { _second, _first })
        {
            if (gateway is not null)
            {
                await gateway.DisposeAsync();
            }
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task TwoGateways_OneRedis_EnforceOneLimitBetweenThem()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add(await StatusAsync(i % 2 == 0 ? First : Second));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(4, _backend!.Requests.Count);

        // A quarter of the minute returns one request's share, to whichever gateway asks first.
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Second));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(First));
    }

    [Fact]
    public async Task RedisKilledUnderLoad_NoRequestFailsAndEachReplicaEnforcesItsShare()
    {
        _time.Advance(TimeSpan.FromMinutes(5));
        var load = Enumerable.Range(0, 24).Select(i => StatusAsync(i % 2 == 0 ? First : Second)).ToList();
        await _redis.KillAsync();
        load.AddRange(Enumerable.Range(0, 24).Select(i => StatusAsync(i % 2 == 0 ? First : Second)));
        var statuses = await Task.WhenAll(load);

        Assert.All(statuses, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"status {(int)status}"));

        // With Redis gone each gateway holds half the limit (ReplicaCount 2) in its own memory.
        _time.Advance(TimeSpan.FromMinutes(5));
        var first = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            first.Add(await StatusAsync(First));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], first);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Second));
        using var admin = First.CreateClient(GatewayServer.AdminKey);
        var metrics = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.DoesNotContain("guardrail_rate_limit_store_errors_total{reason=\"failure\"} 0", metrics, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayServer gateway)
    {
        using var client = gateway.CreateClient();
        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
        return response.StatusCode;
    }

    private async Task<GatewayServer> StartGatewayAsync()
    {
        var settings = GatewayServer.ConfigurationFor(_backend!.BaseAddress);
        settings["Guardrail:Cache:Redis"] = _redis.Url();
        settings["Guardrail:Cache:RedisTimeoutMilliseconds"] = "1000";
        settings["Guardrail:Cache:BreakMilliseconds"] = "500";
        settings["Guardrail:RateLimits:Default:RequestsPerMinute"] = "4";
        settings["Guardrail:RateLimits:ReplicaCount"] = "2";
        return await GatewayServer.StartAsync(settings, services: services => services.AddSingleton<TimeProvider>(_time));
    }
}
