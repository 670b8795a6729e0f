using System.Diagnostics;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Synthesis;

namespace Guardrail.LlamaCpp.Tests.TestSupport;

/// <summary>
/// A tiny random-weight llama model (256 dim, 2 layers, the real Llama 3 vocabulary) written once per test run and
/// loaded with weights: enough for real decodes whose cost is negligible.
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public TinyModelFixture()
    {
        NativeTestRuntime.EnsureInitialized();
        Path = _temp.File("tiny-f16.gguf");
        var watch = Stopwatch.StartNew();
        SyntheticModelBuilder.BuildRandom(
            Path, SynthPreset.Tiny, SynthQuantization.F16, seed: 7, LlamaVocabularyMetadata.Load(TestAssets.VocabGguf), quantize: null, CancellationToken.None);
        BuildTime = watch.Elapsed;
        Model = LlamaModel.Load(Path, new LlamaModelLoadOptions { Progress = p => LoadProgress.Add(p) });
    }

    public string Path { get; }

    public TimeSpan BuildTime { get; }

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

    public void Dispose()
    {
        Model.Dispose();
        _temp.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class TinyModelCollection : ICollectionFixture<TinyModelFixture>
{
    public const string Name = "Tiny random llama model";
}
