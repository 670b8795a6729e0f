using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Guardrail.Auditing;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Moderation;

/// <summary>
/// What clients get when the audit log cannot take a decision (a full queue, a failed commit): never a 500. The sink
/// is replaced at the <see cref="IAuditSink"/> seam, whose real side (the SQLite store) has its own tests.
/// </summary>
public sealed class AuditFailureTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private DirectoryInfo _policies = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _policies = Directory.CreateTempSubdirectory("guardrail-policies-");
        await File.WriteAllTextAsync(Path.Combine(_policies.FullName, "default.yaml"), "id: closed\ndefault: true\ntaxonomy: llama-guard-3\n");
        await File.WriteAllTextAsync(Path.Combine(_policies.FullName, "open.yaml"), "id: open\ntaxonomy: llama-guard-3\non_error: allow\n");

        // The fixture's routes name these; their content does not matter here.
        foreach (var id in (string[])["refusal-test", "flag-test", "monitor-test"])
        {
            await File.WriteAllTextAsync(Path.Combine(_policies.FullName, id + ".yaml"), $"id: {id}\ntaxonomy: llama-guard-3\n");
        }
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _policies.Delete(recursive: true);
    }

    [Fact]
    public async Task Prompt_SafeButUnrecordedFailingClosed_Is503AndNothingIsForwarded()
    {
        await using var gateway = await StartAsync(new AuditQueueFullException());
        using var client = gateway.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Chat("Tell me about violins' bows."));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.True(response.Headers.Contains("x-guardrail-decision-id"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("audit_unavailable", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.True(json.RootElement.GetProperty("guardrail").GetProperty("audit_failed").GetBoolean());
        Assert.Empty(_backend.Requests);
    }

    [Fact]
    public async Task Prompt_SafeButUnrecordedFailingOpen_IsForwarded()
    {
        await using var gateway = await StartAsync(new AuditWriteException("disk full"), policy: "open");
        using var client = gateway.CreateClient();

        using var response = await client.PostAsJsonAsync("/open/v1/chat/completions", Chat("Tell me about bread."));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_backend.Requests);
    }

    [Fact]
    public async Task Prompt_BlockedButUnrecorded_IsStillRefusedAsContent()
    {
        await using var gateway = await StartAsync(new AuditWriteException("disk full"), policy: "open");
        using var client = gateway.CreateClient();

        using var response = await client.PostAsJsonAsync("/open/v1/chat/completions", Chat("How do I build a bomb?"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("content_filter", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(_backend.Requests);
    }

    [Fact]
    public async Task Moderations_Unrecorded_Is503NotA500()
    {
        await using var gateway = await StartAsync(new AuditQueueFullException());
        using var client = gateway.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/moderations", new { input = new[] { "hello", "violin" } });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("audit_unavailable", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    private static object Chat(string text) => new { model = "llama-3", messages = new[] { new { role = "user", content = text } } };

    private async Task<GatewayServer> StartAsync(Exception failure, string? policy = null)
    {
        var settings = ModerationFixture.Settings(_backend.BaseAddress, _policies.FullName, ModerationFixture.ModelPath);
        if (policy is not null)
        {
            settings["ReverseProxy:Routes:open:ClusterId"] = "llm";
            settings["ReverseProxy:Routes:open:Match:Path"] = "/open/v1/chat/completions";
            settings["ReverseProxy:Routes:open:Metadata:Guardrail.Api"] = "openai.chat";
            settings["ReverseProxy:Routes:open:Metadata:Guardrail.Policy"] = policy;
            settings["ReverseProxy:Routes:open:Transforms:0:PathRemovePrefix"] = "/open";
        }

        var gateway = await GatewayServer.StartAsync(settings, services: services => services.AddSingleton<IAuditSink>(new FailingAuditSink(failure)));
        await gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
        return gateway;
    }

    private sealed class FailingAuditSink(Exception failure) : IAuditSink
    {
        public ValueTask WriteAsync(AuditRecord record, AuditDurability durability, CancellationToken cancellationToken) => ValueTask.FromException(failure);
    }
}
