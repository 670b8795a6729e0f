using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

public sealed class HuggingFaceReferenceTests
{
    [Fact]
    public void TryParse_FileInAFolder_KeepsTheFolder()
    {
        var reference = HuggingFaceReference.TryParse("acme/models-GGUF/q8/model.Q8_0.gguf", revision: null);

        Assert.Equal(new HuggingFaceReference("acme/models-GGUF", "q8/model.Q8_0.gguf", "main"), reference);
    }

    [Theory]
    [InlineData("model.gguf")]
    [InlineData("acme/model.gguf")]
    [InlineData("acme/../etc/passwd")]
    [InlineData("acme/repo//model.gguf")]
    [InlineData("acme/repo/../model.gguf")]
    [InlineData("-acme/repo/model.gguf")]
    public void TryParse_NotOwnerRepoFile_ReturnsNull(string text) => Assert.Null(HuggingFaceReference.TryParse(text, revision: null));

    [Fact]
    public void ResolveUrl_RevisionWithSlashes_IsOneEscapedSegmentAsHuggingFaceHubSendsIt()
    {
        var reference = new HuggingFaceReference("acme/repo", "sub dir/model.gguf", "refs/pr/1");

        var url = reference.ResolveUrl(new Uri("https://huggingface.co"));

        Assert.Equal("https://huggingface.co/acme/repo/resolve/refs%2Fpr%2F1/sub%20dir/model.gguf", url.AbsoluteUri);
    }

    [Fact]
    public void ResolveUrl_EndpointWithAPath_KeepsThePath()
    {
        var url = new HuggingFaceReference("acme/repo", "model.gguf", "main").ResolveUrl(new Uri("https://mirror.example.com/hf/"));

        Assert.Equal("https://mirror.example.com/hf/acme/repo/resolve/main/model.gguf", url.AbsoluteUri);
    }

    [Fact]
    public void ToString_NamesRepositoryFileAndRevision() =>
        Assert.Equal("acme/repo/model.gguf at revision v1", new HuggingFaceReference("acme/repo", "model.gguf", "v1").ToString());
}
