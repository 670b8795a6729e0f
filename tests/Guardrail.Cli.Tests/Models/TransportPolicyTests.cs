using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

public sealed class TransportPolicyTests
{
    [Theory]
    [InlineData("https://huggingface.co/x", true)]
    [InlineData("http://127.0.0.1:8080/x", true)]
    [InlineData("http://localhost/x", true)]
    [InlineData("http://[::1]:5000/x", true)]
    [InlineData("http://huggingface.co/x", false)]
    [InlineData("http://10.0.0.1/x", false)]
    [InlineData("ftp://example.com/x", false)]
    public void IsAllowed_Url_HttpsOrLoopbackHttpOnly(string url, bool allowed) =>
        Assert.Equal(allowed, TransportPolicy.IsAllowed(new Uri(url)));

    [Theory]
    [InlineData("https://huggingface.co/a", "https://huggingface.co:443/b", true)]
    [InlineData("https://huggingface.co/a", "https://cdn-lfs.huggingface.co/b", false)]
    [InlineData("http://127.0.0.1:5000/a", "http://127.0.0.1:5001/a", false)]
    [InlineData("http://127.0.0.1:5000/a", "https://127.0.0.1:5000/a", false)]
    public void SameOrigin_SchemeHostAndPort_AllMustMatch(string left, string right, bool same) =>
        Assert.Equal(same, TransportPolicy.SameOrigin(new Uri(left), new Uri(right)));
}
