using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Native;
using Guardrail.ModelSynthesis;
using Guardrail.Serving;
using Guardrail.Taxonomy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.RemoteClassification.Tests;

/// <summary>
/// The keyword guard ("bomb" is S1, "violin" is S10) served by real <see cref="GenerationServer"/>s (Kestrel on
/// loopback port 0, llama.cpp inference), the vocabulary-only tokenizer the pool builds prompts with, and the
/// taxonomy the checks send.
/// </summary>
public static class KeywordGuardPool
{
    public const string Spec = "bomb=S1,violin=S10";

    public const string ApiKey = "pool-test-key-0123456789";

    /// <summary>Tokens per check, in process and on the servers alike.</summary>
    public const int ContextSize = 2048;

    public static string ModelPath => SyntheticModelCache.GetKeywordGuard(Spec);

    public static HazardTaxonomy Taxonomy { get; } = TaxonomyLoader.LoadFile(RepositoryRoot.Combine("taxonomy", "llama-guard-3.yaml")).GetValueOrThrow();

    public static Task<GenerationServer> StartServerAsync()
    {
        NativeTestRuntime.EnsureInitialized();
        return GenerationServer.StartAsync(
            new GenerationServerOptions { ModelPath = ModelPath, ModelId = "keyword-guard", GpuLayers = 0, ContextSize = ContextSize, Parallel = 2, Threads = 1, ApiKey = ApiKey },
            "http://127.0.0.1:0",
            NullLoggerFactory.Instance);
    }

    public static LlamaGuardVocabulary LoadVocabulary()
    {
        NativeTestRuntime.EnsureInitialized();
        return LlamaGuardVocabulary.Load(ModelPath, new NativeRuntimeOptions { ForwardNativeLogs = false }, NullLoggerFactory.Instance);
    }

    /// <summary>A pool over <paramref name="urls"/> with generous deadlines for a loaded machine.</summary>
    public static RemoteGuardClassifier Pool(ILlamaTokenizer tokenizer, TimeProvider? time, params Uri[] urls) => new(
        new RemoteClassifierOptions
        {
            Endpoints = [.. urls.Select(static url => new RemoteEndpointOptions { Url = url.ToString(), ApiKey = ApiKey })],
            TokenizerPath = ModelPath,
            AttemptTimeout = VerdictAssert.CheckDeadline,
        },
        tokenizer,
        ContextSize,
        time: time);

    public static GuardRequest Request(Conversation conversation, CheckDirection direction) =>
        new() { Conversation = conversation, Direction = direction, Categories = Taxonomy.Categories };
}
