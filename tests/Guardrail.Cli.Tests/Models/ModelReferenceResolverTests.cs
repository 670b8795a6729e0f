using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

public sealed class ModelReferenceResolverTests
{
    private static readonly Uri Endpoint = new("https://huggingface.co");
    private static readonly ModelReferenceResolver.PullArguments None = new(null, null, null);

    [Fact]
    public void Resolve_CatalogueName_PinnedRevisionChecksumAndFileName()
    {
        var entry = ModelCatalog.Embedded.Find("llama-guard-3-8b")!;

        var source = ModelReferenceResolver.Resolve("llama-guard-3-8b", None, ModelCatalog.Embedded, Endpoint);

        Assert.Equal($"https://huggingface.co/{entry.Repository}/resolve/{entry.Revision}/{entry.File}", source.Url.AbsoluteUri);
        Assert.Equal(entry.Sha256, source.Sha256);
        Assert.Equal(entry.FileName, source.FileName);
        Assert.Same(entry, source.Entry);
    }

    [Fact]
    public void Resolve_HuggingFaceReference_DefaultRevisionMainAndFileNameFromThePath()
    {
        var source = ModelReferenceResolver.Resolve("acme/repo/q8/model.gguf", None, ModelCatalog.Embedded, new Uri("http://127.0.0.1:5000/"));

        Assert.Equal("http://127.0.0.1:5000/acme/repo/resolve/main/q8/model.gguf", source.Url.AbsoluteUri);
        Assert.Equal("model.gguf", source.FileName);
        Assert.Null(source.Sha256);
        Assert.Equal("acme/repo/q8/model.gguf at revision main", source.Description);
    }

    [Fact]
    public void Resolve_HuggingFaceReferenceWithOptions_RevisionNameAndLowercasedChecksum()
    {
        var sha = new string('A', 64);

        var source = ModelReferenceResolver.Resolve("acme/repo/model.gguf", new(Revision: "v2", Sha256: sha, Name: "mine.gguf"), ModelCatalog.Embedded, Endpoint);

        Assert.Equal("https://huggingface.co/acme/repo/resolve/v2/model.gguf", source.Url.AbsoluteUri);
        Assert.Equal("mine.gguf", source.FileName);
        Assert.Equal(new string('a', 64), source.Sha256);
    }

    [Fact]
    public void Resolve_HttpsUrl_FileNameFromTheLastSegmentAndDescriptionWithoutTheQuery()
    {
        var source = ModelReferenceResolver.Resolve("https://files.example.com/a/My%20Model.gguf?token=secret", None, ModelCatalog.Embedded, Endpoint);

        Assert.Equal("My Model.gguf", source.FileName);
        Assert.Equal("https://files.example.com/a/My%20Model.gguf", source.Description);
        Assert.Null(source.HuggingFace);
    }

    [Fact]
    public void Resolve_CatalogueNameWithRevisionNameAndOtherChecksum_ListsEveryProblem()
    {
        var error = Assert.Throws<ModelUsageException>(() =>
            ModelReferenceResolver.Resolve("llama-guard-3-1b", new(Revision: "main", Sha256: new string('0', 64), Name: "guard.gguf"), ModelCatalog.Embedded, Endpoint));

        Assert.Equal(3, error.Problems.Count);
        Assert.Contains("is pinned to revision", error.Problems[0], StringComparison.Ordinal);
        Assert.Contains("Catalogue models keep their file name", error.Problems[1], StringComparison.Ordinal);
        Assert.Contains("differs from the catalogue's", error.Problems[2], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acme/repo/model.bin", "does not end in .gguf")]
    [InlineData("http://files.example.com/model.gguf", "models are fetched over https only")]
    [InlineData("https://user:pw@files.example.com/model.gguf", "A URL with a user name or password is refused")]
    [InlineData("https://files.example.com/download?id=3", "does not end in a .gguf file name")]
    [InlineData("ftp://files.example.com/model.gguf", "is not an http(s) URL")]
    [InlineData("just-a-name", "is not a catalogue name (llama-guard-3-1b,")]
    public void Resolve_UnusableReference_Explained(string reference, string expected)
    {
        var error = Assert.Throws<ModelUsageException>(() => ModelReferenceResolver.Resolve(reference, None, ModelCatalog.Embedded, Endpoint));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-hex", null, null, "--sha256 must be 64 hex digits")]
    [InlineData(null, "../model.gguf", null, "--name '../model.gguf' must be a plain file name")]
    [InlineData(null, ".hidden.gguf", null, "must be a plain file name")]
    [InlineData(null, null, "a b", "--revision 'a b' is not a branch, tag or commit name")]
    public void Resolve_BadOption_Explained(string? sha256, string? name, string? revision, string expected)
    {
        var error = Assert.Throws<ModelUsageException>(() =>
            ModelReferenceResolver.Resolve("acme/repo/model.gguf", new(revision, sha256, name), ModelCatalog.Embedded, Endpoint));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_RevisionWithUrl_Refused()
    {
        var error = Assert.Throws<ModelUsageException>(() =>
            ModelReferenceResolver.Resolve("https://files.example.com/model.gguf", new("v1", null, null), ModelCatalog.Embedded, Endpoint));

        Assert.Contains("--revision applies to Hugging Face references", error.Message, StringComparison.Ordinal);
    }
}
