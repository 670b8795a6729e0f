using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis.Tests;

public sealed class LlamaModelFileWriterTests
{
    [Fact]
    public void Write_TinyPreset_CopiesEveryTokenizerEntryAndWritesTheLlamaKeys()
    {
        var vocab = GgufReader.Read(TestAssets.VocabGguf);
        var model = GgufReader.Read(SyntheticModelCache.GetRandom("tiny"));

        var vocabTokenizer = vocab.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)).ToList();
        var modelTokenizer = model.Metadata.Where(kv => kv.Key.StartsWith("tokenizer.", StringComparison.Ordinal)).ToList();
        Assert.Equal(vocabTokenizer.Select(kv => kv.Key), modelTokenizer.Select(kv => kv.Key));
        foreach (var (key, value) in vocabTokenizer)
        {
            var copy = model.Find(key)!;
            Assert.Equal(value.Type, copy.Type);
            Assert.Equal(value.ElementType, copy.ElementType);
            if (value.Value is Array array)
            {
                Assert.Equal(array.Cast<object>(), ((Array)copy.Value).Cast<object>());
            }
            else
            {
                Assert.Equal(value.Value, copy.Value);
            }
        }

        Assert.Equal("llama", model.Architecture);
        Assert.Equal(256L, model.TryGetInteger("llama.embedding_length"));
        Assert.Equal(2L, model.TryGetInteger("llama.block_count"));
        Assert.Equal(512L, model.TryGetInteger("llama.feed_forward_length"));
        Assert.Equal(4L, model.TryGetInteger("llama.attention.head_count"));
        Assert.Equal(2L, model.TryGetInteger("llama.attention.head_count_kv"));
        Assert.Equal(64L, model.TryGetInteger("llama.rope.dimension_count"));
        Assert.Equal(128256L, model.TryGetInteger("llama.vocab_size"));
        Assert.Equal(8192L, model.TryGetInteger("llama.context_length"));
        Assert.Equal(500000.0, model.Find("llama.rope.freq_base")!.AsDouble());
        Assert.Equal(1e-5, model.Find("llama.attention.layer_norm_rms_epsilon")!.AsDouble(), 1e-9);
        Assert.Equal(LlamaTensorLayout.For(SynthPreset.Tiny.Shape).Select(t => t.Name), model.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Write_KeywordGuard_HasOneBlockAndAnUnrotatedRopeBase()
    {
        var model = GgufReader.Read(SyntheticModelCache.GetKeywordGuard(KeywordGuardFixture.Spec));

        Assert.Equal(1L, model.TryGetInteger("llama.block_count"));
        Assert.Equal(1L, model.TryGetInteger("llama.attention.head_count"));
        Assert.Equal(1e30, model.Find("llama.rope.freq_base")!.AsDouble(), 1e24);
        Assert.Equal(KeywordGuardFixture.Spec, model.TryGetString("guardrail.keyword_guard.spec"));
        Assert.All(model.Tensors, t => Assert.Contains(t.Type, new[] { GgmlType.F16, GgmlType.F32 }));
    }

    [Fact]
    public void Write_VocabularySizeDiffersFromShape_ThrowsBeforeWriting()
    {
        var vocabulary = LlamaVocabularyMetadata.Load(TestAssets.VocabGguf);
        using var stream = new MemoryStream();

        var error = Assert.Throws<ArgumentException>(() => LlamaModelFileWriter.Write(
            stream, "bad", SynthPreset.Tiny.Shape with { VocabularySize = 1000 }, vocabulary,
            LlamaModelFileWriter.FileTypeMostlyF16, new RandomTensorSource(0), null, CancellationToken.None));

        Assert.Contains("VocabularySize 1000 differs from the 128256 tokens", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);
    }
}
