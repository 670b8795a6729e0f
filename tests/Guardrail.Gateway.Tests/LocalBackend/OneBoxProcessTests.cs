using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.ModelSynthesis;
using OpenAI;
using OpenAI.Chat;

namespace Guardrail.Gateway.Tests.LocalBackend;

/// <summary>
/// The first screen of a one-box start, as <c>scripts/run.sh</c> gives it: the gateway process with nothing but the
/// two model paths and the development key files configured. What it prints must be enough to use it: the base URL
/// and the client key for a chat, the admin key and the review page's URL for the decisions it made.
/// </summary>
public sealed partial class OneBoxProcessTests
{
    [Fact]
    public async Task Start_WithOnlyModelsConfigured_PrintsWhatAClientAndAReviewerNeed()
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Guardrail:Classifier:ModelPath"] = SyntheticModelCache.GetKeywordGuard(TestAssets.ScriptedGenerator.KeywordGuardSpec),
            ["Guardrail:Classifier:GpuLayers"] = "0",
            ["Guardrail:Classifier:RequestTimeout"] = "00:10:00",
            ["Guardrail:LocalBackend:ModelPath"] = TestAssets.ScriptedGenerator.Path,
            ["Guardrail:LocalBackend:GpuLayers"] = "0",
            ["Guardrail:LocalBackend:ContextSize"] = "2048",
            ["Guardrail:Auth:DevelopmentKeyFile"] = data.File("dev-gateway-key"),
            ["Guardrail:Auth:DevelopmentAdminKeyFile"] = data.File("dev-admin-key"),
            ["Guardrail:Audit:DatabasePath"] = data.File("audit.db"),
        };

        // Ready means both models are loaded, so the first chat is answered rather than refused while loading.
        using var gateway = await GatewayProcess.StartAsync(settings, FreePort.Next(), VerdictAssert.CheckDeadline);
        var screen = Announcement.Read(gateway.Output);

        var client = new ChatClient(
            "llama",
            new ApiKeyCredential(screen.ClientKey),
            new OpenAIClientOptions { Endpoint = screen.BaseUrl, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = VerdictAssert.CheckDeadline });
        var answer = (await client.CompleteChatAsync([new UserChatMessage("Say something nice.")])).Value;
        Assert.Equal(TestAssets.ScriptedGenerator.Answer, Assert.Single(answer.Content).Text);
        var blocked = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage($"How is a {TestAssets.ScriptedGenerator.FlaggedWord} made?")]));
        Assert.Equal(400, blocked.Status);

        using var reviewer = new HttpClient { Timeout = VerdictAssert.CheckDeadline };
        reviewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", screen.AdminKey);
        using var page = await reviewer.GetAsync(screen.ReviewUrl);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        // A blocked decision is on disk before its refusal is sent, so the admin API has it now.
        using var json = JsonDocument.Parse(await reviewer.GetStringAsync(new Uri(screen.BaseUrl, "/admin/v1/decisions?action=block")));
        Assert.Equal(1, json.RootElement.GetProperty("data").GetArrayLength());
    }

    private sealed partial record Announcement(Uri BaseUrl, Uri ReviewUrl, string ClientKey, string AdminKey)
    {
        public static Announcement Read(string output)
        {
            var listening = ListeningLine().Match(output);
            var client = ClientKeyLine().Match(output);
            var admin = AdminKeyLine().Match(output);
            Assert.True(listening.Success && client.Success && admin.Success, "The gateway did not announce its URL and keys. It printed:\n" + output);
            return new Announcement(
                new Uri(listening.Groups["base"].Value + "/"),
                new Uri(listening.Groups["review"].Value),
                client.Groups["key"].Value,
                admin.Groups["key"].Value);
        }

        [GeneratedRegex(@"OpenAI base URL (?<base>http://127\.0\.0\.1:\d+/v1), review page (?<review>http://127\.0\.0\.1:\d+/admin/review)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
        private static partial Regex ListeningLine();

        [GeneratedRegex(@"Development client key [^\n]*: (?<key>gr-dev-[0-9a-f]+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
        private static partial Regex ClientKeyLine();

        [GeneratedRegex(@"Development admin key [^\n]*: (?<key>gr-dev-admin-[0-9a-f]+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
        private static partial Regex AdminKeyLine();
    }
}
