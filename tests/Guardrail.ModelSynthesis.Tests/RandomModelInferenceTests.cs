using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;

namespace Guardrail.ModelSynthesis.Tests;

/// <summary>Random-weight presets load and run in real llama.cpp, as written and quantized.</summary>
public sealed class RandomModelInferenceTests
{
    [Theory]
    [InlineData("F16", "F16")]
    [InlineData("Q8_0", "Q8_0")]
    [InlineData("Q4_K_M", "Q4_K")]
    public void Decode_TinyPreset_GivesFiniteLogits(string quantization, string expectedMatrixType)
    {
        NativeTestRuntime.EnsureInitialized();
        var path = SyntheticModelCache.GetRandom("tiny", quantization);

        var file = GgufReader.Read(path);
        Assert.Equal(expectedMatrixType, file.FindTensor("blk.0.attn_q.weight")!.Type.ToString());
        using var model = LlamaModel.Load(path);
        Assert.Equal(2, model.Info.LayerCount);
        Assert.Equal(256, model.Info.EmbeddingSize);
        var answer = GuardPromptRunner.Run(model, GuardPromptRunner.Prompt(("User", "Hello there.")), maxNewTokens: 3);

        Assert.InRange(answer.UnsafeProbability, double.Epsilon, 1.0);
        Assert.Equal(3, answer.OutputTokens.Count);
    }

    [Fact]
    public void Decode_TinyPreset_LogitsAreFiniteAndVaried()
    {
        NativeTestRuntime.EnsureInitialized();
        using var model = LlamaModel.Load(SyntheticModelCache.GetRandom("tiny"));
        var tokens = model.Vocab.Tokenize("The quick brown fox", addSpecial: true, parseSpecial: false);
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 512 });
        using var batch = new LlamaBatch(tokens.Length);
        for (var i = 0; i < tokens.Length; i++)
        {
            batch.Add(tokens[i], i, 0, wantLogits: i == tokens.Length - 1);
        }

        context.Decode(batch);
        var logits = context.GetLogits(-1);

        Assert.Equal(128256, logits.Length);
        Assert.True(GuardPromptRunner.AllFinite(logits));
        var min = float.MaxValue;
        var max = float.MinValue;
        foreach (var value in logits)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        // Random weights give spread logits of order one, not a constant or a blow-up.
        Assert.InRange(max - min, 1f, 100f);
    }

    [Fact]
    public void GetRandom_SameParameters_ReusesTheCachedFile()
    {
        var first = SyntheticModelCache.GetRandom("tiny");
        var written = File.GetLastWriteTimeUtc(first);

        var second = SyntheticModelCache.GetRandom("tiny");

        Assert.Equal(first, second);
        Assert.Equal(written, File.GetLastWriteTimeUtc(second));
        Assert.StartsWith(SyntheticModelCache.ModelsDirectory, first, StringComparison.Ordinal);
        Assert.NotEqual(first, SyntheticModelCache.GetRandom("tiny", seed: 1));
    }
}
