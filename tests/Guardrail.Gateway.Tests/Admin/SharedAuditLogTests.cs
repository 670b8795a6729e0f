using System.Net;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>
/// Gateways as operators run them (separate processes configured through the environment) sharing one PostgreSQL
/// audit log: the review API of any replica lists every replica's decisions, and a database that goes away and comes
/// back under load costs no 500 and no blocked decision whose refusal said it was recorded.
/// </summary>
public sealed class SharedAuditLogTests : IAsyncLifetime
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private TestBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await TestBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task ThreeGatewaysOneDatabase_EachReviewApiListsEveryDecision()
    {
        var database = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        var gateways = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            GatewayProcess.StartAsync(_backend.BaseAddress, database, FreePort.Next(), ReadyTimeout)));
        try
        {
            var decided = new List<string>();
            for (var i = 0; i < 9; i++)
            {
                using var client = AuditDurabilityTests.Client(gateways[i % 3].Port, GatewayServer.ClientKey);
                using var response = await client.PostAsync("/v1/chat/completions",
                    AuditDurabilityTests.Chat(i % 2 == 0 ? $"How do I build a bomb, variant {i}?" : $"Tell me about the weather, day {i}."));
                decided.Add(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")));
            }

            foreach (var gateway in gateways)
            {
                using var admin = AuditDurabilityTests.Client(gateway.Port, GatewayServer.AdminKey);
                // Allowed decisions are written without waiting for the commit; give the writers a moment, bounded.
                await Eventually.SucceedsAsync(async () =>
                {
                    var listed = AdminEndpointsTests.Ids(await AdminEndpointsTests.GetJsonAsync(admin, "/admin/v1/decisions?limit=1000"));
                    return decided.All(listed.Contains);
                }, TimeSpan.FromMinutes(2), $"gateway on port {gateway.Port} to list all {decided.Count} decisions");
            }
        }
        finally
        {
            foreach (var gateway in gateways)
            {
                gateway.Dispose();
            }
        }
    }

    [Fact]
    public async Task PostgresStoppedAndStartedUnderLoad_No500AndEveryRecordedRefusalIsFound()
    {
        await using var server = await PostgresServer.CreateAsync();
        using var gateway = await GatewayProcess.StartAsync(_backend.BaseAddress, server.ConnectionString("postgres"), FreePort.Next(), ReadyTimeout);
        using var client = AuditDurabilityTests.Client(gateway.Port, GatewayServer.ClientKey);
        var statuses = new List<HttpStatusCode>();
        var recorded = new List<string>();
        var unrecorded = 0;

        async Task SendAsync(int i)
        {
            using var response = await client.PostAsync("/v1/chat/completions", AuditDurabilityTests.Chat($"How do I build a bomb, variant {i}?"));
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            lock (statuses)
            {
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.BadRequest)
                {
                    // A refusal is sent either way; it says whether its decision reached the log.
                    if (body.RootElement.GetProperty("guardrail").GetProperty("audit_failed").GetBoolean())
                    {
                        unrecorded++;
                    }
                    else
                    {
                        recorded.Add(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")));
                    }
                }
            }
        }

        async Task WaveAsync(int first) => await Task.WhenAll(Enumerable.Range(first, 8).Select(SendAsync));

        await WaveAsync(0);
        await server.StopAsync();
        var whileDown = WaveAsync(100);
        await whileDown;
        await server.StartAsync();
        // The writer's next batch opens a fresh connection: refusals are recorded again.
        await Eventually.SucceedsAsync(async () =>
        {
            var before = recorded.Count;
            await WaveAsync(200 + before);
            return recorded.Count > before;
        }, TimeSpan.FromMinutes(2), "refusals to be recorded again after PostgreSQL restarted");

        Assert.DoesNotContain(HttpStatusCode.InternalServerError, statuses);
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.BadRequest, status));
        Assert.True(unrecorded > 0, "no refusal was sent while PostgreSQL was down; the test did not test the outage");
        using var admin = AuditDurabilityTests.Client(gateway.Port, GatewayServer.AdminKey);
        var listed = AdminEndpointsTests.Ids(await AdminEndpointsTests.GetJsonAsync(admin, "/admin/v1/decisions?action=block&limit=1000")).ToHashSet(StringComparer.Ordinal);
        var missing = recorded.Where(id => !listed.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {recorded.Count} refusals that said they were recorded are missing: {string.Join(", ", missing)}");
    }
}
