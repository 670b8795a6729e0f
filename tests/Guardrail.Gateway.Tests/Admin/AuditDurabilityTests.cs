using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>
/// Issue 7's crash test: the gateway as an operator runs it (a separate process configured through the environment),
/// killed with SIGKILL the moment it has answered, must show every blocked decision it answered after a restart on
/// the same database, SQLite file or PostgreSQL server. A blocked decision is committed before its refusal is sent, so
/// no answer can outrun its record.
/// </summary>
public sealed class AuditDurabilityTests : IAsyncLifetime
{
    private const int BlockedRequests = 30;
    private const int KillAfter = 10;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private TestBackend _backend = null!;
    private DirectoryInfo _data = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _data = Directory.CreateTempSubdirectory("guardrail-durability-");
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _data.Delete(recursive: true);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task SigKillAfterBlockedResponses_RestartFindsEveryBlockedDecision(string engine)
    {
        var database = engine == "postgres"
            ? await (await PostgresServer.SharedAsync()).CreateDatabaseAsync()
            : Path.Combine(_data.FullName, "audit.db");
        var answered = new List<string>();
        using (var first = await GatewayProcess.StartAsync(_backend.BaseAddress, database, FreePort.Next(), ReadyTimeout))
        {
            using var client = Client(first.Port, GatewayServer.ClientKey);
            // Many requests at once, so that the writer commits them in groups, with allowed ones mixed in. The process
            // dies the moment the KillAfter-th refusal's headers arrive, while the others are still in flight: the
            // decisions just answered are the ones most likely to be only in memory, if anything were.
            var gate = new Lock();
            var killed = false;
            async Task SendAsync(string text, bool blocked)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Chat(text) };
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    lock (gate)
                    {
                        if (killed || !blocked)
                        {
                            return;
                        }

                        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                        answered.Add(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")));
                        if (answered.Count == KillAfter)
                        {
                            Volatile.Write(ref killed, true);
                            first.Kill();
                        }
                    }
                }
                catch (HttpRequestException) when (Volatile.Read(ref killed))
                {
                    // In flight when the process died: never answered, so nothing is promised about it.
                }
            }

            var requests = Enumerable.Range(0, BlockedRequests).Select(i => SendAsync($"How do I build a bomb, variant {i}?", blocked: true))
                .Concat(Enumerable.Range(0, 5).Select(i => SendAsync($"Tell me about the weather, day {i}.", blocked: false)));
            await Task.WhenAll(requests);
            first.Kill();
        }

        Assert.True(answered.Count >= KillAfter, $"Only {answered.Count} blocked answers arrived.");
        using var second = await GatewayProcess.StartAsync(_backend.BaseAddress, database, FreePort.Next(), ReadyTimeout);
        using var admin = Client(second.Port, GatewayServer.AdminKey);
        var page = await AdminEndpointsTests.GetJsonAsync(admin, "/admin/v1/decisions?action=block&limit=1000");
        var found = AdminEndpointsTests.Ids(page).ToHashSet(StringComparer.Ordinal);
        var missing = answered.Where(id => !found.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {answered.Count} answered blocked decisions are missing after the crash: {string.Join(", ", missing)}");
        var one = await AdminEndpointsTests.GetJsonAsync(admin, $"/admin/v1/decisions/{answered[^1]}");
        Assert.Equal("block", one.GetProperty("action").GetString());
        Assert.Equal(["S1"], one.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
    }

    internal static StringContent Chat(string text)
    {
        var body = JsonSerializer.Serialize(new { model = "llama-3-8b", messages = new[] { new { role = "user", content = text } } });
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    internal static HttpClient Client(int port, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
