using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Native;
using Guardrail.ModelSynthesis;
using Guardrail.Taxonomy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.LlamaCpp.Tests.Classification;

/// <summary>
/// One classifier over the hand-weighted keyword guard ("bomb" is S1, "violin" is S10), shared by a test class:
/// real llama.cpp inference with verdicts known in advance.
/// </summary>
public sealed class KeywordGuardClassifierFixture : IDisposable
{
    public const string Spec = "bomb=S1,violin=S10";

    public KeywordGuardClassifierFixture()
    {
        NativeTestRuntime.EnsureInitialized();
        ModelPath = SyntheticModelCache.GetKeywordGuard(Spec);
        Classifier = LlamaGuardClassifier.Load(
            new LlamaGuardClassifierOptions { RequestTimeout = VerdictAssert.CheckDeadline, ModelPath = ModelPath, ContextSize = 2048, GpuLayers = 0 },
            new NativeRuntimeOptions { ForwardNativeLogs = false },
            NullLoggerFactory.Instance);
        Taxonomy = TaxonomyLoader.LoadFile(RepositoryRoot.Combine("taxonomy", "llama-guard-3.yaml")).GetValueOrThrow();
    }

    public string ModelPath { get; }

    public LlamaGuardClassifier Classifier { get; }

    public HazardTaxonomy Taxonomy { get; }

    public void Dispose() => Classifier.Dispose();
}
