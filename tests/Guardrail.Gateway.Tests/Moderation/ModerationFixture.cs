using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.ModelSynthesis;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Moderation;

/// <summary>
/// A gateway with real moderation: the hand-weighted keyword guard ("bomb" is S1, "violin" is S10) loaded through
/// llama.cpp, the shipped policies plus two test policies, a real SQLite audit log, and a recording backend.
/// </summary>
public sealed class ModerationFixture : IAsyncLifetime
{
    public const string RefusalText = "Sorry, not with me.";

    private DirectoryInfo _policies = null!;

    internal TestBackend Backend { get; private set; } = null!;

    internal GatewayServer Gateway { get; private set; } = null!;

    public static string ModelPath => SyntheticModelCache.GetKeywordGuard("bomb=S1,violin=S10");

    public async Task InitializeAsync()
    {
        Backend = await TestBackend.StartAsync();
        _policies = Directory.CreateTempSubdirectory("guardrail-policies-");
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "policies"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(_policies.FullName, Path.GetFileName(file)));
        }

        await File.WriteAllTextAsync(Path.Combine(_policies.FullName, "refusal-test.yaml"), $"""
            id: refusal-test
            taxonomy: llama-guard-3
            refusal_text: {RefusalText}
            blocked_prompt_response: refusal
            """);
        await File.WriteAllTextAsync(Path.Combine(_policies.FullName, "flag-test.yaml"), """
            id: flag-test
            taxonomy: llama-guard-3
            categories:
              S10: flag
            """);

        await File.WriteAllTextAsync(Path.Combine(_policies.FullName, "monitor-test.yaml"), """
            id: monitor-test
            taxonomy: llama-guard-3
            streaming:
              mode: monitor
            """);

        Gateway = await GatewayServer.StartAsync(Settings(Backend.BaseAddress, _policies.FullName, ModelPath));
        await Gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Backend.DisposeAsync();
        _policies.Delete(recursive: true);
    }

    internal static Dictionary<string, string?> Settings(Uri backend, string? policies, string? modelPath)
    {
        var settings = GatewayServer.ConfigurationFor(backend);
        AddRoute(settings, "chat", "/v1/chat/completions", "openai.chat");
        AddRoute(settings, "completions", "/v1/completions", "openai.completions");
        AddRoute(settings, "chat-stream", "/v1/chat/stream", "openai.chat");
        AddRoute(settings, "chat-refusal", "/refusal/v1/chat/completions", "openai.chat", "refusal-test", "/refusal");
        AddRoute(settings, "chat-flag", "/flag/v1/chat/completions", "openai.chat", "flag-test", "/flag");
        AddRoute(settings, "chat-sse", "/sse/v1/chat/completions", "openai.chat");
        settings["ReverseProxy:Routes:chat-sse:Transforms:0:PathSet"] = "/v1/chat/stream";
        AddRoute(settings, "chat-monitor", "/monitor/v1/chat/stream", "openai.chat", "monitor-test", "/monitor");
        AddRoute(settings, "responses", "/v1/responses", "openai.responses");
        AddRoute(settings, "responses-refusal", "/refusal/v1/responses", "openai.responses", "refusal-test", "/refusal");
        if (policies is not null)
        {
            settings["Guardrail:Policies:Directory"] = policies;
        }

        if (modelPath is not null)
        {
            settings["Guardrail:Classifier:ModelPath"] = modelPath;
            settings["Guardrail:Classifier:ContextSize"] = "2048";
            settings["Guardrail:Classifier:GpuLayers"] = "0";

            // A deadline for a loaded test machine, not a measurement: a check that waits in a busy queue is not a failure here.
            settings["Guardrail:Classifier:RequestTimeout"] = "00:10:00";
        }

        return settings;
    }

    private static void AddRoute(Dictionary<string, string?> settings, string id, string path, string api, string? policy = null, string? removePrefix = null)
    {
        settings[$"ReverseProxy:Routes:{id}:ClusterId"] = "llm";
        settings[$"ReverseProxy:Routes:{id}:Match:Path"] = path;
        settings[$"ReverseProxy:Routes:{id}:Metadata:Guardrail.Api"] = api;
        if (policy is not null)
        {
            settings[$"ReverseProxy:Routes:{id}:Metadata:Guardrail.Policy"] = policy;
        }

        if (removePrefix is not null)
        {
            settings[$"ReverseProxy:Routes:{id}:Transforms:0:PathRemovePrefix"] = removePrefix;
        }
    }
}
