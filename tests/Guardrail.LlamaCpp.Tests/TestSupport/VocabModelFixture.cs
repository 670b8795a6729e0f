using Guardrail.LlamaCpp.Inference;

namespace Guardrail.LlamaCpp.Tests.TestSupport;

/// <summary>The Llama 3 vocabulary loaded vocab-only once and shared by the tokenizer tests.</summary>
public sealed class VocabModelFixture : IDisposable
{
    public VocabModelFixture()
    {
        NativeTestRuntime.EnsureInitialized();
        Model = LlamaModel.Load(TestAssets.VocabGguf, new LlamaModelLoadOptions { VocabOnly = true });
    }

    internal LlamaModel Model { get; }

    internal LlamaVocab Vocab => Model.Vocab;

    public void Dispose() => Model.Dispose();
}

[CollectionDefinition(Name)]
public sealed class VocabModelCollection : ICollectionFixture<VocabModelFixture>
{
    public const string Name = "Llama 3 vocabulary";
}
