using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using Guardrail.Classification;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Metrics;
using Guardrail.ModelSynthesis;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace Guardrail.Gateway.Tests.Classification;

/// <summary>
/// The loaded model's variant end to end: real Kestrel, real llama.cpp, the shipped policies. The keyword guard's
/// trigger is "interpreter", a word that only the S14 line (Code Interpreter Abuse) brings into a prompt, so the
/// real model's answer to a harmless question says whether the prompt it read listed S14.
/// </summary>
public sealed class ClassifierHostTests
{
    private const string Spec = "interpreter=S14";
    private const string HarmlessQuestion = "What is the weather in Paris?";

    [Fact]
    public async Task OneBillionModel_DefaultPromptHasNoS14LineAndReadyzSaysWhy()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var gateway = await StartAsync(backend, SyntheticModelCache.GetKeywordGuard(Spec, GuardModelVariant.LlamaGuard3OneB));

        var completion = await Client(gateway).CompleteChatAsync([new UserChatMessage(HarmlessQuestion)]);

        Assert.Equal("Hello été from the backend.", completion.Value.Content[0].Text);
        Assert.Single(backend.Requests);
        var checks = await ReadinessAsync(gateway);
        Assert.Equal("llama-guard-3-1b", checks["classifier"].GetProperty("variant").GetString());
        Assert.Contains("variant llama-guard-3-1b (from general.size_label '1B'", checks["classifier"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(checks["classifier"].GetProperty("warnings").EnumerateArray());
        Assert.Contains("prompts built for llama-guard-3-1b", checks["policies"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(
            Warnings(checks["policies"]),
            w => w.Contains("default.yaml:8:17: warning: ", StringComparison.Ordinal)
                && w.Contains("policy 'default' enables S14 (Code Interpreter Abuse), which llama-guard-3-1b was not trained on", StringComparison.Ordinal)
                && w.Contains("so S14 is not checked", StringComparison.Ordinal));
        Assert.Contains("variant=\"llama-guard-3-1b\"", await ModelInfoAsync(gateway), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EightBillionModel_DefaultPromptHasTheS14Line()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var gateway = await StartAsync(backend, SyntheticModelCache.GetKeywordGuard(Spec, GuardModelVariant.LlamaGuard3EightB));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client(gateway).CompleteChatAsync([new UserChatMessage(HarmlessQuestion)]));

        Assert.Equal(400, error.Status);
        Assert.Equal(["S14"], BlockedCategories(error));
        Assert.Empty(backend.Requests);
        var checks = await ReadinessAsync(gateway);
        Assert.Equal("llama-guard-3-8b", checks["classifier"].GetProperty("variant").GetString());
        Assert.DoesNotContain(Warnings(checks["policies"]), w => w.Contains("S14", StringComparison.Ordinal));
        Assert.Contains("variant=\"llama-guard-3-8b\"", await ModelInfoAsync(gateway), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VariantSetting_OverridesTheFilesMetadataAndSaysSo()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var gateway = await StartAsync(
            backend,
            SyntheticModelCache.GetKeywordGuard(Spec, GuardModelVariant.LlamaGuard3EightB),
            ("Guardrail:Classifier:Variant", "llama-guard-3-1b"));

        await Client(gateway).CompleteChatAsync([new UserChatMessage(HarmlessQuestion)]);

        Assert.Single(backend.Requests);
        var classifier = (await ReadinessAsync(gateway))["classifier"];
        Assert.Equal("llama-guard-3-1b", classifier.GetProperty("variant").GetString());
        Assert.Contains("from Guardrail:Classifier:Variant", classifier.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(
            Warnings(classifier),
            w => w.Contains("Guardrail:Classifier:Variant is llama-guard-3-1b, but the model file's metadata says llama-guard-3-8b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownVariant_SendsEveryCategoryAndWarnsHowToName()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var gateway = await StartAsync(backend, SyntheticModelCache.GetKeywordGuard(Spec));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => Client(gateway).CompleteChatAsync([new UserChatMessage(HarmlessQuestion)]));

        Assert.Equal(["S14"], BlockedCategories(error));
        var checks = await ReadinessAsync(gateway);
        Assert.Equal("unknown", checks["classifier"].GetProperty("variant").GetString());
        Assert.Contains(
            Warnings(checks["classifier"]),
            w => w.Contains("does not say which Llama Guard variant", StringComparison.Ordinal)
                && w.Contains("Set Guardrail:Classifier:Variant to llama-guard-3-1b or llama-guard-3-8b", StringComparison.Ordinal));
        Assert.Contains(
            Warnings(checks["policies"]),
            w => w.Contains("policy 'default' sends S14 (Code Interpreter Abuse) to a model of unknown variant", StringComparison.Ordinal));
        Assert.Contains("variant=\"unknown\"", await ModelInfoAsync(gateway), StringComparison.Ordinal);
    }

    [Fact]
    public void VariantWarnings_SettingAgreesOrFileIsKnown_AreNone()
    {
        var oneB = new Guardrail.LlamaCpp.Inference.ModelVariantDetection(
            GuardModelVariant.LlamaGuard3OneB, [new("general.size_label '1B'", GuardModelVariant.LlamaGuard3OneB)]);
        var none = new Guardrail.LlamaCpp.Inference.ModelVariantDetection(GuardModelVariant.Unknown, []);

        Assert.Empty(ClassifierHost.VariantWarnings(oneB, configured: null));
        Assert.Empty(ClassifierHost.VariantWarnings(oneB, GuardModelVariant.LlamaGuard3OneB));
        Assert.Empty(ClassifierHost.VariantWarnings(none, GuardModelVariant.LlamaGuard3EightB));
        Assert.Single(ClassifierHost.VariantWarnings(none, configured: null));
    }

    /// <summary>A gateway moderating <c>/v1/**</c> as chat with <paramref name="modelPath"/>, the shipped policies unless <c>Guardrail:Policies:Directory</c> is given.</summary>
    internal static async Task<GatewayServer> StartAsync(TestBackend backend, string modelPath, params (string Key, string Value)[] extra)
    {
        var settings = GatewayServer.ConfigurationFor(backend.BaseAddress);
        settings["ReverseProxy:Routes:openai:Metadata:Guardrail.Api"] = "openai.chat";
        settings["Guardrail:Classifier:ModelPath"] = modelPath;
        settings["Guardrail:Classifier:ContextSize"] = "2048";
        settings["Guardrail:Classifier:GpuLayers"] = "0";
        settings["Guardrail:Classifier:RequestTimeout"] = "00:10:00";
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var gateway = await GatewayServer.StartAsync(settings);
        await gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
        return gateway;
    }

    internal static async Task<Dictionary<string, JsonElement>> ReadinessAsync(GatewayServer gateway)
    {
        using var client = gateway.CreateClient(key: null);
        using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    }

    internal static List<string> Warnings(JsonElement check) =>
        [.. check.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!)];

    private static async Task<string> ModelInfoAsync(GatewayServer gateway) =>
        (await MetricsEndpointTests.ScrapeAsync(gateway, GatewayServer.AdminKey)).Split('\n').Single(line => line.StartsWith("guardrail_classifier_model_info{", StringComparison.Ordinal));

    private static string[] BlockedCategories(ClientResultException error)
    {
        using var json = JsonDocument.Parse(error.GetRawResponse()!.Content.ToString());
        return [.. json.RootElement.GetProperty("guardrail").GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("code").GetString()!)];
    }

    private static ChatClient Client(GatewayServer gateway) => new(
        "llama-3-8b",
        new ApiKeyCredential(GatewayServer.ClientKey),
        new OpenAIClientOptions { Endpoint = new Uri(gateway.BaseAddress, "/v1"), RetryPolicy = new ClientRetryPolicy(0) });
}
