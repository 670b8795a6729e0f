using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Guardrail.Gateway.Tests.Admin;
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
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Guardrail.Gateway.dll"), "--urls", "http://127.0.0.1:0" },
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        // The machine's Guardrail settings stay out; GUARDRAIL_CACHE_DIR (where the runtime is) stays in.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Guardrail__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ReverseProxy__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["Guardrail__Classifier__ModelPath"] = SyntheticModelCache.GetKeywordGuard(TestAssets.ScriptedGenerator.KeywordGuardSpec);
        start.Environment["Guardrail__Classifier__GpuLayers"] = "0";
        start.Environment["Guardrail__Classifier__RequestTimeout"] = "00:10:00";
        start.Environment["Guardrail__LocalBackend__ModelPath"] = TestAssets.ScriptedGenerator.Path;
        start.Environment["Guardrail__LocalBackend__GpuLayers"] = "0";
        start.Environment["Guardrail__LocalBackend__ContextSize"] = "2048";
        start.Environment["Guardrail__Auth__DevelopmentKeyFile"] = Path.Combine(data.Path, "dev-gateway-key");
        start.Environment["Guardrail__Auth__DevelopmentAdminKeyFile"] = Path.Combine(data.Path, "dev-admin-key");
        start.Environment["Guardrail__Audit__DatabasePath"] = Path.Combine(data.Path, "audit.db");
        start.Environment["Guardrail__Policies__Directory"] = Path.Combine(RepositoryRoot.Path, "policies");
        start.Environment["Guardrail__Policies__TaxonomyDirectory"] = Path.Combine(RepositoryRoot.Path, "taxonomy");

        using var process = Process.Start(start)!;
        var lines = Channel.CreateUnbounded<string>();
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Received(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                output.Enqueue(e.Data);
                lines.Writer.TryWrite(e.Data);
            }
        }

        process.OutputDataReceived += Received;
        process.ErrorDataReceived += Received;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var screen = await ReadAnnouncementAsync(lines.Reader);
            var client = new ChatClient(
                "llama",
                new ApiKeyCredential(screen.ClientKey),
                new OpenAIClientOptions { Endpoint = screen.BaseUrl, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = VerdictAssert.CheckDeadline });

            // The built-in backend answers once its model is loaded; until then routes to it answer 503.
            ChatCompletion? answer = null;
            var lastRefusal = "";
            try
            {
                await Eventually.SucceedsAsync(
                    async () =>
                    {
                        try
                        {
                            answer = (await client.CompleteChatAsync([new UserChatMessage("Say something nice.")])).Value;
                            return true;
                        }
                        catch (ClientResultException e) when (e.Status == 503)
                        {
                            lastRefusal = e.Message;
                            return false;
                        }
                    },
                    VerdictAssert.CheckDeadline,
                    "the built-in backend to answer");
            }
            catch (TimeoutException e)
            {
                throw new InvalidOperationException($"{e.Message} Last refusal: {lastRefusal}\nThe gateway printed:\n{string.Join('\n', output)}", e);
            }

            Assert.Equal(TestAssets.ScriptedGenerator.Answer, Assert.Single(answer!.Content).Text);
            var blocked = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage($"How is a {TestAssets.ScriptedGenerator.FlaggedWord} made?")]));
            Assert.Equal(400, blocked.Status);

            using var reviewer = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            reviewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", screen.AdminKey);
            using var page = await reviewer.GetAsync(screen.ReviewUrl);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var decisionsUrl = new Uri(screen.BaseUrl, "/admin/v1/decisions?action=block");
            await Eventually.SucceedsAsync(
                async () =>
                {
                    using var json = JsonDocument.Parse(await reviewer.GetStringAsync(decisionsUrl));
                    return json.RootElement.GetProperty("data").GetArrayLength() >= 1;
                },
                VerdictAssert.CheckDeadline,
                "the blocked prompt in the admin API");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private sealed record Announcement(Uri BaseUrl, Uri ReviewUrl, string ClientKey, string AdminKey);

    private static async Task<Announcement> ReadAnnouncementAsync(ChannelReader<string> lines)
    {
        using var deadline = new CancellationTokenSource(VerdictAssert.CheckDeadline);
        var seen = new List<string>();
        Uri? baseUrl = null, reviewUrl = null;
        string? clientKey = null, adminKey = null;
        while (baseUrl is null || clientKey is null || adminKey is null)
        {
            string line;
            try
            {
                line = await lines.ReadAsync(deadline.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                throw new InvalidOperationException("The gateway did not announce itself. It printed:\n" + string.Join('\n', seen), e);
            }

            seen.Add(line);
            if (ListeningLine().Match(line) is { Success: true } listening)
            {
                baseUrl = new Uri(listening.Groups["base"].Value + "/");
                reviewUrl = new Uri(listening.Groups["review"].Value);
            }
            else if (ClientKeyLine().Match(line) is { Success: true } client)
            {
                clientKey = client.Groups["key"].Value;
            }
            else if (AdminKeyLine().Match(line) is { Success: true } admin)
            {
                adminKey = admin.Groups["key"].Value;
            }
        }

        return new Announcement(baseUrl, reviewUrl!, clientKey, adminKey);
    }

    [GeneratedRegex(@"OpenAI base URL (?<base>http://127\.0\.0\.1:\d+/v1), review page (?<review>http://127\.0\.0\.1:\d+/admin/review)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"Development client key .*: (?<key>gr-dev-[0-9a-f]+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ClientKeyLine();

    [GeneratedRegex(@"Development admin key .*: (?<key>gr-dev-admin-[0-9a-f]+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AdminKeyLine();
}
