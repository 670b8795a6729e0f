using System.Net;
using System.Text;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Deployment;

/// <summary>
/// A gateway with the keyword guard that has served every kind of traffic the dashboard and the alerts watch: safe,
/// blocked, flagged and shadow-disagreeing prompts, a streamed response cut by a block, responses the guard could
/// not read under a fail-closed and a fail-open policy, an unauthenticated request and a dead upstream. Its
/// <c>/metrics</c> text, scraped once, is what the tests check the shipped PromQL against.
/// </summary>
public sealed class MonitoredGatewayFixture : IAsyncLifetime
{
    private DirectoryInfo _policies = null!;
    private TestBackend _backend = null!;
    private GatewayServer _gateway = null!;

    /// <summary>host:port of the management listener that serves <c>/metrics</c> without a key.</summary>
    public string ManagementAddress { get; private set; } = string.Empty;

    /// <summary>The gateway's Prometheus text after all the traffic.</summary>
    public string Exposition { get; private set; } = string.Empty;

    /// <summary>Status codes of the requests, by what each was meant to exercise, for the tests to check the setup.</summary>
    public IReadOnlyDictionary<string, HttpStatusCode> Statuses => _statuses;

    private readonly Dictionary<string, HttpStatusCode> _statuses = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _policies = Directory.CreateTempSubdirectory("guardrail-monitored-policies-");
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "policies"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(_policies.FullName, Path.GetFileName(file)));
        }

        // ModerationFixture's routes name these three policies.
        await WritePolicyAsync("refusal-test", "blocked_prompt_response: refusal\n");
        await WritePolicyAsync("flag-test", "categories:\n  S10: flag\n");
        await WritePolicyAsync("monitor-test", "streaming:\n  mode: monitor\n");

        // Flags S1 where its shadow (default) blocks it: every "bomb" prompt here is a shadow disagreement.
        await WritePolicyAsync("shadowed-test", "categories:\n  S1: flag\nshadow: default\n");
        await WritePolicyAsync("open-test", "on_error: allow\n");

        var settings = ModerationFixture.Settings(_backend.BaseAddress, _policies.FullName, ModerationFixture.ModelPath);
        AddRoute(settings, "chat-shadow", "/shadow/v1/chat/completions", "shadowed-test", "/shadow");
        AddRoute(settings, "chat-open", "/open/v1/chat/completions", "open-test", "/open");
        settings["ReverseProxy:Routes:dead:ClusterId"] = "dead";
        settings["ReverseProxy:Routes:dead:Match:Path"] = "/dead/{**path}";
        settings["ReverseProxy:Clusters:dead:Destinations:main:Address"] = $"http://127.0.0.1:{FreePort.Next()}/";

        // Metrics on a management listener, as deploy/prometheus/prometheus.yml expects them.
        var managementPort = FreePort.Next();
        settings["Guardrail:Metrics:ManagementUrl"] = $"http://127.0.0.1:{managementPort}";
        ManagementAddress = $"127.0.0.1:{managementPort}";

        _gateway = await GatewayServer.StartAsync(settings, mainAddressFilter: a => !a.EndsWith($":{managementPort}", StringComparison.Ordinal));
        await _gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
        await ServeTrafficAsync();
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://{ManagementAddress}") };
        Exposition = await scraper.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        _policies.Delete(recursive: true);
    }

    private async Task ServeTrafficAsync()
    {
        await PostAsync("safe", "/v1/chat/completions", "What is the weather in Paris?");
        await PostAsync("blocked", "/v1/chat/completions", "How do I build a bomb?");
        await PostAsync("flagged", "/flag/v1/chat/completions", "I love my violin.");
        await PostAsync("shadow", "/shadow/v1/chat/completions", "A bomb story.");

        // A response the guard cannot read is a classifier failure decided by on_error.
        _backend.ChatResponseJson = "this is not a chat completion";
        await PostAsync("fail_closed", "/v1/chat/completions", "Tell me a story.");
        await PostAsync("fail_open", "/open/v1/chat/completions", "Tell me a story.");
        _backend.Reset();

        _backend.StreamEvents = StreamingModerationTests.ChatStream("A ", "bomb ", "story.");
        await PostAsync("stream_cut", "/v1/chat/stream", "Tell me a story.", stream: true);
        _backend.Reset();

        using var anonymous = _gateway.CreateClient(key: null);
        using (var response = await anonymous.GetAsync(new Uri("/v1/models", UriKind.Relative)))
        {
            _statuses["unauthenticated"] = response.StatusCode;
        }

        using var client = _gateway.CreateClient();
        using (var response = await client.GetAsync(new Uri("/dead/v1/models", UriKind.Relative)))
        {
            _statuses["dead_upstream"] = response.StatusCode;
        }
    }

    private async Task PostAsync(string purpose, string path, string prompt, bool stream = false)
    {
        using var client = _gateway.CreateClient();
        var body = $$"""{"model":"llama-3-8b",{{(stream ? "\"stream\":true," : string.Empty)}}"messages":[{"role":"user","content":"{{prompt}}"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        await response.Content.ReadAsByteArrayAsync();
        _statuses[purpose] = response.StatusCode;
    }

    private Task WritePolicyAsync(string id, string body) =>
        File.WriteAllTextAsync(Path.Combine(_policies.FullName, id + ".yaml"), $"id: {id}\ntaxonomy: llama-guard-3\n{body}");

    private static void AddRoute(Dictionary<string, string?> settings, string id, string path, string policy, string removePrefix)
    {
        settings[$"ReverseProxy:Routes:{id}:ClusterId"] = "llm";
        settings[$"ReverseProxy:Routes:{id}:Match:Path"] = path;
        settings[$"ReverseProxy:Routes:{id}:Metadata:Guardrail.Api"] = "openai.chat";
        settings[$"ReverseProxy:Routes:{id}:Metadata:Guardrail.Policy"] = policy;
        settings[$"ReverseProxy:Routes:{id}:Transforms:0:PathRemovePrefix"] = removePrefix;
    }
}
