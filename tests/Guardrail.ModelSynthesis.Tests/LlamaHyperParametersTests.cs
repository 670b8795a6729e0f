
namespace Guardrail.ModelSynthesis.Tests;

public sealed class LlamaHyperParametersTests
{
    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOne()
    {
        var shape = new LlamaHyperParameters
        {
            EmbeddingLength = 100,
            BlockCount = 0,
            HeadCount = 3,
            HeadCountKv = 2,
            FeedForwardLength = 64,
            RopeFreqBase = float.NaN,
        };

        var errors = shape.Validate();

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.Contains("BlockCount", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("not a multiple of HeadCount 3", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("HeadCountKv 2", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("RopeFreqBase", StringComparison.Ordinal));
    }

    [Fact]
    public void HeadSize_LlamaGuard3OneB_Is64WithKeyValueWidth512()
    {
        Assert.Equal(64, SynthPreset.LlamaGuard3OneB.Shape.HeadSize);
        Assert.Equal(512, SynthPreset.LlamaGuard3OneB.Shape.KeyValueWidth);
    }
}
