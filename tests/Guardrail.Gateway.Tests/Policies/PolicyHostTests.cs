using Guardrail.Classification;
using Guardrail.Gateway.Tests.Admin;
using Guardrail.Gateway.Tests.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.ModelSynthesis;

namespace Guardrail.Gateway.Tests.Policies;

/// <summary>PolicyHost's model warnings: reported once the model is loaded, and again at every reload.</summary>
public sealed class PolicyHostTests : IDisposable
{
    private readonly TempDirectory _policies = new();

    public void Dispose() => _policies.Dispose();

    [Fact]
    public async Task Reload_PolicyStartsSendingS14ToAOneBillionModel_ReadyzWarnsAboutIt()
    {
        var file = Path.Combine(_policies.Path, "default.yaml");
        await File.WriteAllTextAsync(file, "id: default\ndefault: true\ntaxonomy: llama-guard-3\ncategories:\n  S14: off\n");
        await using var backend = await TestBackend.StartAsync();
        await using var gateway = await ClassifierHostTests.StartAsync(
            backend,
            SyntheticModelCache.GetKeywordGuard("interpreter=S14", GuardModelVariant.LlamaGuard3OneB),
            ("Guardrail:Policies:Directory", _policies.Path));
        await Eventually.SucceedsAsync(
            async () => (await ClassifierHostTests.ReadinessAsync(gateway))["policies"].GetProperty("detail").GetString()!.Contains("prompts built for llama-guard-3-1b", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            "the policies check to know the model");
        Assert.Empty(ClassifierHostTests.Warnings((await ClassifierHostTests.ReadinessAsync(gateway))["policies"]));

        await File.WriteAllTextAsync(file, "id: default\ndefault: true\ntaxonomy: llama-guard-3\ncategories:\n  S14: flag\n");

        await Eventually.SucceedsAsync(
            async () => ClassifierHostTests.Warnings((await ClassifierHostTests.ReadinessAsync(gateway))["policies"])
                .Any(w => w.Contains("default.yaml:5:3: warning: policy 'default' enables S14", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60),
            "the reloaded policy's S14 warning in /readyz");
    }
}
