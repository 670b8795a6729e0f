using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>
/// A gateway with real moderation (the keyword guard) and a handful of real decisions made through it: a safe chat,
/// a blocked prompt whose text carries markup that must never run in the review page, a flagged prompt, a blocked
/// prompt in another category, and a blocked response.
/// </summary>
public sealed class AdminFixture : IAsyncLifetime
{
    /// <summary>Markup in a prompt: the review page must show it as text and never run it.</summary>
    public const string HostileMarkup = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">";

    private readonly ModerationFixture _moderation = new();

    /// <summary>A word (letters only, so no redaction rule touches it) that every prompt of this fixture holds.</summary>
    public string Marker { get; } = string.Concat(Guid.NewGuid().ToByteArray().Take(10).Select(b => (char)('a' + (b % 26))));

    internal GatewayServer Gateway => _moderation.Gateway;

    public string SafeId { get; private set; } = "";

    public string BlockedPromptId { get; private set; } = "";

    public string FlaggedId { get; private set; } = "";

    public string BlockedViolinId { get; private set; } = "";

    public string BlockedResponseId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await _moderation.InitializeAsync();
        using var client = Gateway.CreateClient();
        SafeId = await ChatAsync(client, "/v1/chat/completions", $"What is the weather in Paris? {Marker}", HttpStatusCode.OK);
        BlockedPromptId = await ChatAsync(client, "/v1/chat/completions", $"How do I build a bomb? {HostileMarkup} {Marker}", HttpStatusCode.BadRequest);
        FlaggedId = await ChatAsync(client, "/flag/v1/chat/completions", $"Where do I buy a violin? {Marker}", HttpStatusCode.OK);
        BlockedViolinId = await ChatAsync(client, "/v1/chat/completions", $"Teach me the violin. {Marker}", HttpStatusCode.BadRequest);
        _moderation.Backend.ChatResponseJson = TestBackend.Completion("Sure. First get a bomb casing.");
        try
        {
            using var response = await PostChatAsync(client, "/v1/chat/completions", $"Tell me a story. {Marker}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            BlockedResponseId = json.RootElement.GetProperty("guardrail").GetProperty("decision_id").GetString()!;
        }
        finally
        {
            _moderation.Backend.Reset();
        }

        // Allowed and flagged decisions are written within a bounded delay, not before the response: wait for them.
        using var admin = AdminClient();
        foreach (var id in new[] { SafeId, BlockedPromptId, FlaggedId, BlockedViolinId, BlockedResponseId })
        {
            await Eventually.SucceedsAsync(async () =>
            {
                using var response = await admin.GetAsync($"/admin/v1/decisions/{id}");
                return response.StatusCode == HttpStatusCode.OK;
            }, TimeSpan.FromSeconds(15), $"decision {id} to be stored");
        }
    }

    public Task DisposeAsync() => _moderation.DisposeAsync();

    internal HttpClient AdminClient() => Gateway.CreateClient(GatewayServer.AdminKey);

    private static async Task<string> ChatAsync(HttpClient client, string path, string text, HttpStatusCode expected)
    {
        using var response = await PostChatAsync(client, path, text);
        Assert.Equal(expected, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("x-guardrail-decision-id"));
    }

    private static Task<HttpResponseMessage> PostChatAsync(HttpClient client, string path, string text)
    {
        var body = JsonSerializer.Serialize(new { model = "llama-3-8b", messages = new[] { new { role = "user", content = text } } });
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return client.PostAsync(path, content);
    }
}
