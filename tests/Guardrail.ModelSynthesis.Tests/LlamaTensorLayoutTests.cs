
namespace Guardrail.ModelSynthesis.Tests;

public sealed class LlamaTensorLayoutTests
{
    [Fact]
    public void ParameterCount_LlamaGuard3OneB_IsAboutOnePointFiveBillion()
    {
        // 2 x 128256 x 2048 (embedding, untied output) + 16 x (2 x 2048^2 + 2 x 2048 x 512 + 3 x 2048 x 8192 + 2 x 2048) + 2048.
        Assert.Equal(1_498_482_688L, LlamaTensorLayout.ParameterCount(SynthPreset.LlamaGuard3OneB.Shape));
    }

    [Fact]
    public void ParameterCount_LlamaGuard3EightB_IsAboutEightBillion()
    {
        Assert.Equal(8_030_261_248L, LlamaTensorLayout.ParameterCount(SynthPreset.LlamaGuard3EightB.Shape));
    }

    [Fact]
    public void For_LlamaGuard3OneB_NamesAndGgmlDimensionsLlamaCppExpects()
    {
        var tensors = LlamaTensorLayout.For(SynthPreset.LlamaGuard3OneB.Shape).ToDictionary(t => t.Name);

        Assert.Equal(2 + (16 * 9) + 1, tensors.Count);
        Assert.Equal([2048L, 128256L], tensors["token_embd.weight"].Dimensions);
        Assert.Equal([2048L], tensors["blk.0.attn_norm.weight"].Dimensions);
        Assert.Equal([2048L, 2048L], tensors["blk.15.attn_q.weight"].Dimensions);
        Assert.Equal([2048L, 512L], tensors["blk.15.attn_k.weight"].Dimensions);
        Assert.Equal([2048L, 512L], tensors["blk.15.attn_v.weight"].Dimensions);
        Assert.Equal([2048L, 2048L], tensors["blk.15.attn_output.weight"].Dimensions);
        Assert.Equal([2048L], tensors["blk.15.ffn_norm.weight"].Dimensions);
        Assert.Equal([2048L, 8192L], tensors["blk.15.ffn_gate.weight"].Dimensions);
        Assert.Equal([2048L, 8192L], tensors["blk.15.ffn_up.weight"].Dimensions);
        Assert.Equal([8192L, 2048L], tensors["blk.15.ffn_down.weight"].Dimensions);
        Assert.Equal([2048L], tensors["output_norm.weight"].Dimensions);
        Assert.Equal([2048L, 128256L], tensors["output.weight"].Dimensions);
        Assert.False(tensors.ContainsKey("blk.16.attn_q.weight"));
    }

    [Fact]
    public void For_EveryPreset_MatrixRowsAreWholeKQuantBlocks()
    {
        foreach (var preset in SynthPreset.All)
        {
            Assert.Empty(preset.Shape.Validate());
            Assert.All(
                LlamaTensorLayout.For(preset.Shape).Where(t => t.Dimensions.Length == 2),
                t => Assert.Equal(0, t.Dimensions[0] % 256));
        }
    }
}
