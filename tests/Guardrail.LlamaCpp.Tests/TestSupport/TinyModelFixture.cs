using Guardrail.LlamaCpp.Inference;
using Guardrail.ModelSynthesis;

namespace Guardrail.LlamaCpp.Tests.TestSupport;

/// <summary>
/// A tiny random-weight llama model (256 dim, 2 layers, the real Llama 3 vocabulary) loaded with weights: enough for
/// real decodes whose cost is negligible. The file comes from the synthesized-model cache (content-hashed, shared with
/// the synthesis tests and later runs).
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    public TinyModelFixture()
    {
        NativeTestRuntime.EnsureInitialized();
        Path = SyntheticModelCache.GetRandom(SynthPreset.Tiny.Name, "F16");
        Model = LlamaModel.Load(Path, new LlamaModelLoadOptions { Progress = p => LoadProgress.Add(p) });
    }

    public string Path { get; }

    internal LlamaModel Model { get; }

    internal List<float> LoadProgress { get; } = [];

    internal LlamaContext CreateContext(int contextSize = 512, int batchSize = 128, int sequences = 4, bool unified = true) =>
        LlamaContext.Create(Model, new LlamaContextOptions
        {
            ContextSize = contextSize,
            BatchSize = batchSize,
            MaxSequences = sequences,
            KvUnified = unified,
            Threads = 2,
        });

    public void Dispose() => Model.Dispose();
}

[CollectionDefinition(Name)]
public sealed class TinyModelCollection : ICollectionFixture<TinyModelFixture>
{
    public const string Name = "Tiny random llama model";
}
