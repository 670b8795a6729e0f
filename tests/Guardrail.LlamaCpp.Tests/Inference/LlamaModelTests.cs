using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Tests.TestSupport;

namespace Guardrail.LlamaCpp.Tests.Inference;

[Collection(VocabModelCollection.Name)]
public sealed class LlamaModelTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly VocabModelFixture _vocab;

    public LlamaModelTests(VocabModelFixture vocab) => _vocab = vocab;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_VocabOnly_DescribesTheVocabulary()
    {
        var model = _vocab.Model;

        Assert.True(model.IsVocabOnly);
        Assert.Equal("llama", model.Info.Architecture);
        Assert.Equal(128256, model.Info.VocabSize);
        Assert.Equal(0, model.Info.ParameterCount);
        Assert.Equal(new FileInfo(TestAssets.VocabGguf).Length, model.Info.FileSizeBytes);
        // The vocab file carries Llama 3 8B's shape metadata, and the size class comes from the shape alone.
        Assert.Equal(32, model.Info.LayerCount);
        Assert.Equal(4096, model.Info.EmbeddingSize);
        Assert.Equal(8, model.Info.KvHeadCount);
        Assert.Equal(LlamaModelInfo.SizeClass8B, model.Info.SizeClass);
    }

    [Fact]
    public void Load_MissingFile_ThrowsGgufFormatExceptionNamingPath()
    {
        var path = _temp.File("missing.gguf");

        var ex = Assert.Throws<GgufFormatException>(() => LlamaModel.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsGgufFormatException()
    {
        var path = _temp.File("truncated.gguf");
        var bytes = File.ReadAllBytes(TestAssets.VocabGguf);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var ex = Assert.Throws<GgufFormatException>(() => LlamaModel.Load(path, new LlamaModelLoadOptions { VocabOnly = true }));

        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NonGgufFile_ThrowsGgufFormatException()
    {
        var path = _temp.File("model.gguf");
        File.WriteAllText(path, "{\"this is\": \"a json file, not a model\"}");

        var ex = Assert.Throws<GgufFormatException>(() => LlamaModel.Load(path));

        Assert.Contains("not a GGUF model file", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A hostile header that claims to be a Llama model is refused by the managed reader, before llama.cpp sees the
    /// file: llama.cpp's own refusal would be a <see cref="LlamaInferenceException"/>, and a worse file could crash it.
    /// </summary>
    [Theory]
    [InlineData("huge-string", "over the limit")]
    [InlineData("huge-array", "bytes remain")]
    [InlineData("tensor-beyond-end", "beyond the end of the file")]
    [InlineData("misaligned-tensor", "not a multiple of the alignment")]
    [InlineData("unknown-tensor-type", "unknown ggml type")]
    public void Load_HostileHeader_IsRefusedInManagedCodeBeforeLlamaCpp(string kind, string expected)
    {
        var llama = GgufBytes.Header(kind.Contains("tensor", StringComparison.Ordinal) ? 1UL : 0UL, 2).KvString("general.architecture", "llama");
        var bytes = kind switch
        {
            "huge-string" => llama.Kv("tokenizer.chat_template", GgufValueType.String).U64(1UL << 40).Zeros(16),
            "huge-array" => llama.Kv("tokenizer.ggml.tokens", GgufValueType.Array).U32((uint)GgufValueType.String).U64(1_000_000).Zeros(64),
            "tensor-beyond-end" => llama.KvU32("llama.block_count", 1).Tensor("token_embd.weight", GgmlType.F32, 0, 4096, 4096).PadTo(32).Zeros(32),
            "misaligned-tensor" => llama.KvU32("llama.block_count", 1).Tensor("token_embd.weight", GgmlType.F32, 4, 4).PadTo(32).Zeros(64),
            _ => llama.KvU32("llama.block_count", 1).Tensor("token_embd.weight", (GgmlType)250, 0, 4).PadTo(32).Zeros(64),
        };
        var path = bytes.WriteTo(_temp.File(kind + ".gguf"));

        foreach (var vocabOnly in new[] { false, true })
        {
            var ex = Assert.Throws<GgufFormatException>(() => LlamaModel.Load(path, new LlamaModelLoadOptions { VocabOnly = vocabOnly }));
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Load_OtherArchitecture_ThrowsNotSupported()
    {
        var path = GgufBytes.Header(0, 1).KvString("general.architecture", "gemma3").WriteTo(_temp.File("gemma.gguf"));

        var ex = Assert.Throws<NotSupportedException>(() => LlamaModel.Load(path, new LlamaModelLoadOptions { VocabOnly = true }));

        Assert.Contains("'gemma3'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoArchitecture_ThrowsNotSupported()
    {
        var path = GgufBytes.Header(0, 1).KvU32("x", 1).WriteTo(_temp.File("bare.gguf"));

        var ex = Assert.Throws<NotSupportedException>(() => LlamaModel.Load(path));

        Assert.Contains("general.architecture", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_VocabFileWithoutVocabOnly_ThrowsNotSupportedBeforeNativeLoad()
    {
        var ex = Assert.Throws<NotSupportedException>(() => LlamaModel.Load(TestAssets.VocabGguf));

        Assert.Contains("VocabOnly", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LlamaHeaderWithoutTokenizer_ThrowsManagedException()
    {
        // Well-formed GGUF that llama.cpp itself must reject: the failure must come back as an exception.
        var path = GgufBytes.Header(0, 1).KvString("general.architecture", "llama").WriteTo(_temp.File("empty-llama.gguf"));

        var ex = Assert.Throws<LlamaInferenceException>(() => LlamaModel.Load(path, new LlamaModelLoadOptions { VocabOnly = true }));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CancelledToken_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => LlamaModel.Load(TestAssets.VocabGguf, new LlamaModelLoadOptions { VocabOnly = true }, cts.Token));
    }

    [Theory]
    [InlineData(2048, 16, 32, 8, 8192, "1B")]
    [InlineData(4096, 32, 32, 8, 14336, "8B")]
    [InlineData(64, 1, 1, 1, 128, "other")]
    public void ClassifyShape_KnownShapes_GivesSizeClass(int embd, int layers, int heads, int kv, int ffn, string expected)
    {
        Assert.Equal(expected, LlamaModelInfo.ClassifyShape(embd, layers, heads, kv, ffn));
    }
}
