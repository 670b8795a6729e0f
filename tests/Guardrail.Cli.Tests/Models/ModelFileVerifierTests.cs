using Guardrail.Cli.Models;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.Cli.Tests.Models;

public sealed class ModelFileVerifierTests : IDisposable
{
    private readonly TempDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Describe_Llama3File_UsableWithItsHeaderFacts()
    {
        var path = Write(TestGgufFiles.Llama3(weightBytes: 4000));

        var model = ModelFileVerifier.Describe(path);

        Assert.Empty(model.Problems);
        Assert.Equal("llama", model.Architecture);
        Assert.Equal(1000, model.Parameters);
        Assert.Equal("1B", model.SizeLabel);
        Assert.Equal("Q8_0", model.Quantization);
        Assert.Equal("gpt2", model.TokenizerModel);
        Assert.Equal("llama-bpe", model.PreTokenizer);
        Assert.Equal(128_256, model.TokenCount);
        Assert.Equal(new FileInfo(path).Length, model.FileSize);
    }

    [Fact]
    public void Describe_SyntheticTinyPreset_UsableAsTheGatewayWouldLoadIt()
    {
        var model = ModelFileVerifier.Describe(Guardrail.ModelSynthesis.SyntheticModelCache.GetRandom("tiny", "Q8_0"));

        Assert.Empty(model.Problems);
        Assert.Equal("66.8M", model.ParameterText);
        Assert.Equal("Q8_0", model.Quantization);
    }

    [Fact]
    public void Describe_SentencePieceVocabulary_SaysItIsALlama2Vocabulary()
    {
        var path = Write(TestGgufFiles.Write(replaceMetadata: new Dictionary<string, GgufValue>(StringComparer.Ordinal)
        {
            ["tokenizer.ggml.model"] = GgufValue.FromString("llama"),
        }));

        var model = ModelFileVerifier.Describe(path);

        Assert.Equal(["its tokenizer is SentencePiece ('llama': a Llama 1 or 2 vocabulary), not Llama 3's byte-level BPE ('gpt2')"], model.Problems);
    }

    [Fact]
    public void Describe_OtherPreTokenizer_NamesIt()
    {
        var path = Write(TestGgufFiles.Write(replaceMetadata: new Dictionary<string, GgufValue>(StringComparer.Ordinal)
        {
            ["tokenizer.ggml.pre"] = GgufValue.FromString("qwen2"),
        }));

        Assert.Equal(["its pre-tokenizer is 'qwen2', not Llama 3's 'llama-bpe'"], ModelFileVerifier.Describe(path).Problems);
    }

    [Fact]
    public void Describe_VocabularyOnlyFile_NotAModel()
    {
        var model = ModelFileVerifier.Describe(TestAssets.VocabGguf);

        Assert.Equal(["it holds no tensors: a vocabulary-only file, not a model"], model.Problems);
    }

    [Fact]
    public void Describe_OtherArchitecture_SaysWhatItIs()
    {
        var model = ModelFileVerifier.Describe(Write(TestGgufFiles.Write(architecture: "gemma2")));

        Assert.Equal("gemma2", model.Architecture);
        Assert.Contains("its architecture is 'gemma2', not 'llama'", Assert.Single(model.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_TruncatedFile_SaysSo()
    {
        var content = TestGgufFiles.Llama3(weightBytes: 4000);
        var path = Write(content[..^1000]);

        var problem = Assert.Single(ModelFileVerifier.Describe(path).Problems);

        Assert.Contains("truncated", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_Stream_NamesTheFileByTheGivenName()
    {
        using var stream = new MemoryStream("not gguf at all, just text"u8.ToArray());

        var problem = Assert.Single(ModelFileVerifier.Describe(stream, "model.gguf").Problems);

        Assert.StartsWith("'model.gguf' is not a valid GGUF file: it does not start with the GGUF magic", problem, StringComparison.Ordinal);
    }

    private string Write(byte[] content)
    {
        var path = _scratch.File(Guid.NewGuid().ToString("N") + ".gguf");
        File.WriteAllBytes(path, content);
        return path;
    }
}
