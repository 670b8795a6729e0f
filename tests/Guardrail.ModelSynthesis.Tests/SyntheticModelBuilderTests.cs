using Guardrail.Classification;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;

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

    [Fact]
    public void BuildRandom_PresetImitatingAVariant_WritesTheSizeLabelTheDetectorReads()
    {
        var vocabulary = LlamaVocabularyMetadata.Load(TestAssets.VocabGguf);
        var preset = SynthPreset.Tiny with { Shape = SynthPreset.Tiny.Shape with { BlockCount = 1 }, Imitates = GuardModelVariant.LlamaGuard3EightB };
        SyntheticModelBuilder.BuildRandom(_temp.File("a.gguf"), preset, SynthQuantization.F16, 0, vocabulary, null, CancellationToken.None);

        var file = GgufReader.Read(_temp.File("a.gguf"));

        Assert.Equal("8B", file.TryGetString("general.size_label"));
        Assert.Equal(GuardModelVariant.LlamaGuard3EightB, ModelVariantDetector.Detect(file).Variant);
    }

    [Fact]
    public void BuildRandom_TestShape_NamesNoVariant()
    {
        var vocabulary = LlamaVocabularyMetadata.Load(TestAssets.VocabGguf);
        var preset = SynthPreset.Tiny with { Shape = SynthPreset.Tiny.Shape with { BlockCount = 1 } };
        SyntheticModelBuilder.BuildRandom(_temp.File("a.gguf"), preset, SynthQuantization.F16, 0, vocabulary, null, CancellationToken.None);

        var file = GgufReader.Read(_temp.File("a.gguf"));

        Assert.Null(file.TryGetString("general.size_label"));
        Assert.Equal(GuardModelVariant.Unknown, ModelVariantDetector.Detect(file).Variant);
    }

    [Theory]
    [InlineData("llama-guard-3-1b", "1B")]
    [InlineData("llama-guard-3-8b", "8B")]
    public void Presets_LlamaGuardShapes_ImitateTheVariantTheirShapeIs(string name, string size)
    {
        var preset = SynthPreset.Find(name)!;
        var shape = preset.Shape;

        Assert.Equal(name, preset.Imitates?.Id);
        Assert.Equal(size, LlamaModelInfo.ClassifyShape(shape.EmbeddingLength, shape.BlockCount, shape.HeadCount, shape.HeadCountKv, shape.FeedForwardLength));
        Assert.Equal([new KeyValuePair<string, GgufValue>("general.size_label", GgufValue.FromString(size))], SyntheticModelBuilder.VariantMetadata(preset.Imitates), new MetadataComparer());
        Assert.Null(SynthPreset.Tiny.Imitates);
        Assert.Null(SynthPreset.Small.Imitates);
    }

    private sealed class MetadataComparer : IEqualityComparer<KeyValuePair<string, GgufValue>>
    {
        public bool Equals(KeyValuePair<string, GgufValue> x, KeyValuePair<string, GgufValue> y) =>
            string.Equals(x.Key, y.Key, StringComparison.Ordinal) && x.Value.Type == y.Value.Type && Equals(x.Value.Value, y.Value.Value);

        public int GetHashCode(KeyValuePair<string, GgufValue> obj) => StringComparer.Ordinal.GetHashCode(obj.Key);
    }
}
