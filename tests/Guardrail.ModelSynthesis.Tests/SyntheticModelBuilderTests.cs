
namespace Guardrail.ModelSynthesis.Tests;

public sealed class SyntheticModelBuilderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void BuildRandom_Cancelled_LeavesNoFileBehind()
    {
        var vocabulary = LlamaVocabularyMetadata.Load(TestAssets.VocabGguf);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => SyntheticModelBuilder.BuildRandom(
            _temp.File("tiny.gguf"), SynthPreset.Tiny, SynthQuantization.F16, 0, vocabulary, null, cancellation.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));
    }

    [Fact]
    public void BuildRandom_QuantizerFails_LeavesNoFileBehind()
    {
        var vocabulary = LlamaVocabularyMetadata.Load(TestAssets.VocabGguf);

        Assert.Throws<IOException>(() => SyntheticModelBuilder.BuildRandom(
            _temp.File("tiny.gguf"), SynthPreset.Tiny, SynthQuantization.Q8_0, 0, vocabulary,
            (_, _, _) => throw new IOException("quantizer crashed"), CancellationToken.None));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));
    }

    [Fact]
    public void BuildRandom_SameSeedTwice_WritesIdenticalBytes()
    {
        var vocabulary = LlamaVocabularyMetadata.Load(TestAssets.VocabGguf);
        var shape = SynthPreset.Tiny with { Shape = SynthPreset.Tiny.Shape with { BlockCount = 1 } };
        SyntheticModelBuilder.BuildRandom(_temp.File("a.gguf"), shape, SynthQuantization.F16, 3, vocabulary, null, CancellationToken.None);
        SyntheticModelBuilder.BuildRandom(_temp.File("b.gguf"), shape, SynthQuantization.F16, 3, vocabulary, null, CancellationToken.None);
        SyntheticModelBuilder.BuildRandom(_temp.File("c.gguf"), shape, SynthQuantization.F16, 4, vocabulary, null, CancellationToken.None);

        Assert.Equal(File.ReadAllBytes(_temp.File("a.gguf")), File.ReadAllBytes(_temp.File("b.gguf")));
        Assert.NotEqual(File.ReadAllBytes(_temp.File("a.gguf")), File.ReadAllBytes(_temp.File("c.gguf")));
    }
}
