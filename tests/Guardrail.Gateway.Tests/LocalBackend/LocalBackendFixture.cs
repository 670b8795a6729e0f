using Guardrail.Gateway.Classification;
using Guardrail.Gateway.LocalBackend;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.ModelSynthesis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Guardrail.Gateway.Tests.LocalBackend;

/// <summary>
/// The whole job on one box: a gateway with no <c>ReverseProxy</c> section, the keyword guard as its classifier and
/// the scripted generator as its built-in backend, both real llama.cpp inference. The guard flags the word the
/// generator's triggered answer holds, so output moderation of the built-in backend is tested end to end.
/// </summary>
public sealed class LocalBackendFixture : IAsyncLifetime
{
    private GatewayServer? _gateway;

    internal GatewayServer Gateway => _gateway ?? throw new InvalidOperationException("Not started.");

    internal FakeLogCollector Logs { get; } = new();

    public async Task InitializeAsync() => _gateway = await StartAsync(Settings(), Logs);

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    /// <summary>Keys, the two models, CPU only, generous deadlines; no route of the test's own.</summary>
    internal static Dictionary<string, string?> Settings() => new()
    {
        ["Guardrail:Auth:Keys:0:Id"] = "team-a-key",
        ["Guardrail:Auth:Keys:0:Tenant"] = "team-a",
        ["Guardrail:Auth:Keys:0:Key"] = GatewayServer.ClientKey,
        ["Guardrail:Auth:AdminKeys:0:Id"] = "admin",
        ["Guardrail:Auth:AdminKeys:0:Key"] = GatewayServer.AdminKey,
        ["Guardrail:Classifier:ModelPath"] = SyntheticModelCache.GetKeywordGuard(TestAssets.ScriptedGenerator.KeywordGuardSpec),
        ["Guardrail:Classifier:ContextSize"] = "2048",
        ["Guardrail:Classifier:GpuLayers"] = "0",
        ["Guardrail:Classifier:RequestTimeout"] = "00:10:00",
        ["Guardrail:LocalBackend:ModelPath"] = TestAssets.ScriptedGenerator.Path,
        ["Guardrail:LocalBackend:ModelId"] = ModelId,
        ["Guardrail:LocalBackend:GpuLayers"] = "0",
        ["Guardrail:LocalBackend:ContextSize"] = "2048",
        ["Guardrail:LocalBackend:Parallel"] = "2",
    };

    public const string ModelId = "scripted-llama";

    /// <summary>Starts a gateway and waits until both models are loaded (or failed to), so no test races the loads.</summary>
    internal static async Task<GatewayServer> StartAsync(Dictionary<string, string?> settings, FakeLogCollector? logs = null)
    {
        var gateway = await GatewayServer.StartAsync(settings, services: services =>
        {
            if (logs is not null)
            {
                services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs));
            }
        });
        await gateway.Services.GetRequiredService<ClassifierHost>().Loaded.WaitAsync(VerdictAssert.CheckDeadline);
        await gateway.Services.GetRequiredService<LocalBackendHost>().Loaded.WaitAsync(VerdictAssert.CheckDeadline);
        return gateway;
    }
}
