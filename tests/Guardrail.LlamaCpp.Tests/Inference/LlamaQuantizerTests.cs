using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Guardrail.LlamaCpp.Tests.TestSupport;

namespace Guardrail.LlamaCpp.Tests.Inference;

[Collection(TinyModelCollection.Name)]
public sealed class LlamaQuantizerTests : IDisposable
{
    private readonly TinyModelFixture _tiny;
    private readonly TempDirectory _temp = new();

    public LlamaQuantizerTests(TinyModelFixture tiny) => _tiny = tiny;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Quantize_TinyF16ToQ8_0_WritesQ8MatricesAndF32Norms()
    {
        var output = _temp.File("tiny-q8_0.gguf");

        LlamaQuantizer.Quantize(_tiny.Path, output, LlamaFileType.Q8_0, threads: 2);

        var file = GgufReader.Read(output);
        Assert.Equal((long)LlamaFileType.Q8_0, file.TryGetInteger("general.file_type"));
        Assert.Equal(GgmlType.Q8_0, file.FindTensor("blk.0.attn_q.weight")!.Type);
        Assert.Equal(GgmlType.F32, file.FindTensor("blk.0.attn_norm.weight")!.Type);
        Assert.True(new FileInfo(output).Length < new FileInfo(_tiny.Path).Length * 0.7);
    }

    [Fact]
    public void Quantize_VocabOnlyInput_ThrowsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => LlamaQuantizer.Quantize(TestAssets.VocabGguf, _temp.File("out.gguf"), LlamaFileType.Q8_0));
    }

    [Fact]
    public void Quantize_MissingInput_ThrowsGgufFormatException()
    {
        Assert.Throws<GgufFormatException>(() => LlamaQuantizer.Quantize(_temp.File("none.gguf"), _temp.File("out.gguf"), LlamaFileType.Q4_K_M));
    }

    [Fact]
    public void Quantize_OutputSameAsInput_ThrowsArgument()
    {
        Assert.Throws<ArgumentException>(() => LlamaQuantizer.Quantize(_tiny.Path, _tiny.Path, LlamaFileType.Q8_0));
    }
}
