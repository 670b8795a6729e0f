using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.LlamaCpp.Tests.Gguf;

public sealed class GgmlTypeTraitsTests
{
    [Fact]
    public void TryGetBlock_EveryKnownType_MatchesNativeGeometry()
    {
        NativeTestRuntime.EnsureInitialized();
        var checkedTypes = 0;

        foreach (var type in Enum.GetValues<GgmlType>())
        {
            if (GgmlTypeTraits.TryGetBlock(type, out var perBlock, out var bytes))
            {
                Assert.Equal(GgmlNative.ggml_blck_size(type), perBlock);
                Assert.Equal((long)GgmlNative.ggml_type_size(type), bytes);
                checkedTypes++;
            }
        }

        Assert.True(checkedTypes >= 30, $"only {checkedTypes} types have a known geometry");
    }

    [Theory]
    [InlineData(nameof(GgmlType.F32), 10, 40L)]
    [InlineData(nameof(GgmlType.Q8_0), 64, 68L)]
    [InlineData(nameof(GgmlType.Q4_K), 512, 288L)]
    [InlineData(nameof(GgmlType.Q8_0), 33, null)]
    [InlineData(nameof(GgmlType.NVFP4), 64, null)]
    public void ByteSize_ElementCount_IsWholeBlocksOrNull(string type, long elements, long? expected)
    {
        Assert.Equal(expected, GgmlTypeTraits.ByteSize(Enum.Parse<GgmlType>(type), elements));
    }
}
