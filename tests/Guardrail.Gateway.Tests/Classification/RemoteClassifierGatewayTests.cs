using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Admin;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Metrics;
using Guardrail.Gateway.Tests.Moderation;
using Guardrail.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;
using OpenAI.Chat;

namespace Guardrail.Gateway.Tests.Classification;

/// <summary>
/// The gateway with no model of its own, checking through a pool of two keyword-guard servers (real Kestrel and
/// llama.cpp on loopback), driven by the official OpenAI client; then with both servers gone, the policy's on_error.
/// </summary>
public sealed class RemoteClassifierGatewayTests
{
    private const string ServerKey = "remote-guard-key-0123456789";

    [Fact]
    public async Task Gateway_RemotePool_ModeratesReportsAndFailsClosedWhenThePoolIsGone()
    {
        await using var backend = await TestBackend.StartAsync();
        var first = await StartGuardServerAsync();
        var second = await StartGuardServerAsync();
        var stopped = false;
        try
        {
            var settings = GatewayServer.ConfigurationFor(backend.BaseAddress);
            settings["ReverseProxy:Routes:chat:ClusterId"] = "llm";
            settings["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions";
            settings["ReverseProxy:Routes:chat:Metadata:Guardrail.Api"] = "openai.chat";
            settings["Guardrail:Policies:Directory"] = RepositoryRoot.Combine("policies");
            settings["Guardrail:Policies:TaxonomyDirectory"] = RepositoryRoot.Combine("taxonomy");
            settings["Guardrail:Classifier:ContextSize"] = "2048";
            settings["Guardrail:Classifier:Remote:TokenizerPath"] = ModerationFixture.ModelPath;
            settings["Guardrail:Classifier:Remote:AttemptTimeout"] = "00:10:00";
            settings["Guardrail:Classifier:Remote:HealthCheckInterval"] = "00:00:01";
            foreach (var (server, index) in new[] { (first, 0), (second, 1) })
            {
                settings[$"Guardrail:Classifier:Remote:Endpoints:{index}:Url"] = server.BaseAddress.ToString();
                settings[$"Guardrail:Classifier:Remote:Endpoints:{index}:ApiKey"] = ServerKey;
            }

            await using var gateway = await GatewayServer.StartAsync(settings);
            await gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
            var client = new ChatClient(
                "llama-3-8b",
                new ApiKeyCredential(GatewayServer.ClientKey),
                new OpenAIClientOptions { Endpoint = new Uri(gateway.BaseAddress, "/v1"), RetryPolicy = new ClientRetryPolicy(0) });

            ChatCompletion allowed = await client.CompleteChatAsync([new UserChatMessage("What is the weather in Paris?")]);
            var blocked = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("Where do I buy a violin?")]));

            Assert.Equal(ChatFinishReason.Stop, allowed.FinishReason);
            Assert.Equal(400, blocked.Status);
            Assert.Contains("I can't help with that request.", blocked.Message, StringComparison.Ordinal);
            using var http = gateway.CreateClient();
            using var blockedRaw = await PostChatAsync(http, "How do I build a bomb?");
            Assert.Equal(HttpStatusCode.BadRequest, blockedRaw.StatusCode);
            var store = gateway.Services.GetRequiredService<Gateway.Auditing.AuditHost>().Store;
            var decisionId = Assert.Single(blockedRaw.Headers.GetValues("x-guardrail-decision-id"));
            var record = await store.GetAsync(decisionId, CancellationToken.None);
            Assert.NotNull(record);
            Assert.Equal(["S1"], record.Categories);
            Assert.Equal("keyword-guard", record.ClassifierModel);
            Assert.Contains(record.ClassifierEndpoint, new[] { first, second }.Select(static s => s.BaseAddress.ToString().TrimEnd('/')));

            var (ready, detail) = await ReadyzAsync(gateway);
            Assert.True(ready, detail);
            Assert.Contains("2 of 2 endpoints available", detail, StringComparison.Ordinal);

            var metrics = await MetricsEndpointTests.ScrapeAsync(gateway, GatewayServer.AdminKey);
            var names = new[] { first, second }.Select(static s => s.BaseAddress.ToString().TrimEnd('/')).ToArray();
            var sent = names.Sum(name => Value(metrics, $"guardrail_classifier_remote_requests_total{{endpoint=\"{name}\"}}"));
            Assert.True(sent >= 4, $"checks sent: {sent}\n{metrics}");
            Assert.All(names, name =>
            {
                Assert.Contains($"guardrail_classifier_remote_errors_total{{endpoint=\"{name}\"}} 0\n", metrics, StringComparison.Ordinal);
                Assert.Contains($"guardrail_classifier_remote_breaker_state{{endpoint=\"{name}\"}} 0\n", metrics, StringComparison.Ordinal);
            });
            Assert.Contains("guardrail_classifier_remote_request_duration_seconds_bucket{endpoint=", metrics, StringComparison.Ordinal);
            Assert.DoesNotContain(ServerKey, metrics, StringComparison.Ordinal);
            var (exitCode, output) = await ExternalProcess.RunAsync("promtool", ["check", "metrics"], metrics);
            Assert.True(exitCode == 0, $"promtool check metrics failed:\n{output}");

            stopped = true;
            await first.DisposeAsync();
            await second.DisposeAsync();
            using var refused = await PostChatAsync(http, "Hello there");
            var refusal = await refused.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.DoesNotContain(ServerKey, refusal, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", refusal, StringComparison.Ordinal);
            await Eventually.SucceedsAsync(async () => !(await ReadyzAsync(gateway)).Ready, TimeSpan.FromMinutes(2), "/readyz reporting the pool down");
            Assert.Contains("0 of 2 endpoints available", (await ReadyzAsync(gateway)).Detail, StringComparison.Ordinal);
        }
        finally
        {
            if (!stopped)
            {
                await first.DisposeAsync();
                await second.DisposeAsync();
            }
        }
    }

    private static Task<HttpResponseMessage> PostChatAsync(HttpClient http, string content) => http.PostAsync(
        new Uri("/v1/chat/completions", UriKind.Relative),
        new StringContent(JsonSerializer.Serialize(new { model = "llama-3-8b", messages = new[] { new { role = "user", content } } }), System.Text.Encoding.UTF8, "application/json"));

    private static double Value(string metrics, string series)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<(bool Ready, string Detail)> ReadyzAsync(GatewayServer gateway)
    {
        using var client = gateway.CreateClient(key: null);
        using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var check = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "classifier");
        return (check.GetProperty("status").GetString() == "ready", check.GetProperty("detail").GetString()!);
    }

    private static Task<GenerationServer> StartGuardServerAsync()
    {
        NativeTestRuntime.EnsureInitialized();
        return GenerationServer.StartAsync(
            new GenerationServerOptions { ModelPath = ModerationFixture.ModelPath, ModelId = "keyword-guard", GpuLayers = 0, ContextSize = 2048, Parallel = 2, Threads = 1, ApiKey = ServerKey },
            "http://127.0.0.1:0",
            NullLoggerFactory.Instance);
    }
}
