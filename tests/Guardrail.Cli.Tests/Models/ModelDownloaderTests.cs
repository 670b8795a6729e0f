using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

/// <summary>
/// The HTTP side of a pull against real Kestrel servers on loopback: how a resumed download meets servers that
/// ignore ranges, files that changed, a partial file that was already whole, and redirects that must not carry
/// the Hugging Face token to another host.
/// </summary>
public sealed class ModelDownloaderTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _models = new();
    private ModelFileServer _server = null!;

    public async Task InitializeAsync() => _server = await ModelFileServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _models.Dispose();

    [Fact]
    public async Task DownloadAsync_ServerIgnoresRanges_StartsOverAndEndsWithTheSameBytes()
    {
        var content = TestGgufFiles.Llama3(weightBytes: 4 << 20);
        var file = _server.Serve("/f/model.gguf", content);
        file.AbortAfterBytes = 2 << 20;
        var source = Source("/f/model.gguf");
        await Assert.ThrowsAsync<DownloadFailure>(() => Download(source));
        file.IgnoreRanges = true;
        using var notes = new StringWriter();

        var result = await Download(source, notes: notes);

        Assert.StartsWith("bytes=", _server.Requests[1].Range, StringComparison.Ordinal);
        Assert.Contains("the server sent the whole file instead of the rest of it", notes.ToString(), StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllBytes(PartialPath(source)));
        Assert.Equal(TestGgufFiles.Sha256(content), result.Sha256);
        Assert.Equal(content.Length, result.Length);
    }

    [Fact]
    public async Task DownloadAsync_FileChangedBetweenRuns_IfRangeMakesTheServerSendTheNewFile()
    {
        var old = TestGgufFiles.Llama3(weightBytes: 4 << 20, seed: 1);
        var file = _server.Serve("/f/model.gguf", old);
        file.AbortAfterBytes = 2 << 20;
        var source = Source("/f/model.gguf");
        await Assert.ThrowsAsync<DownloadFailure>(() => Download(source));
        var current = TestGgufFiles.Llama3(weightBytes: 4 << 20, seed: 2);
        file.Content = current;
        file.ETag = "\"v2\"";

        var result = await Download(source);

        Assert.Equal("\"v1\"", _server.Requests[1].IfRange);
        Assert.Equal(current, File.ReadAllBytes(PartialPath(source)));
        Assert.Equal(TestGgufFiles.Sha256(current), result.Sha256);
    }

    [Fact]
    public async Task DownloadAsync_ServerIgnoresIfRangeButTheETagChanged_StartsOverFromAFreshRequest()
    {
        var old = TestGgufFiles.Llama3(weightBytes: 4 << 20, seed: 1);
        var file = _server.Serve("/f/model.gguf", old);
        file.AbortAfterBytes = 2 << 20;
        var source = Source("/f/model.gguf");
        await Assert.ThrowsAsync<DownloadFailure>(() => Download(source));

        // Same length, new bytes and a new ETag, but the stale If-Range is not honoured: the server answers 206 with
        // a range of the new file, which must not be glued onto the start of the old one.
        var current = TestGgufFiles.Llama3(weightBytes: 4 << 20, seed: 2);
        _server.Serve("/f/model.gguf", current).ETag = "\"v2\"";
        using var notes = new StringWriter();

        var result = await DownloadIgnoringIfRange(source, notes);

        Assert.Contains("the file changed since the last run (ETag \"v1\", now \"v2\"); starting over", notes.ToString(), StringComparison.Ordinal);
        Assert.Equal(current, File.ReadAllBytes(PartialPath(source)));
        Assert.Equal(TestGgufFiles.Sha256(current), result.Sha256);
    }

    [Fact]
    public async Task DownloadAsync_PartialFileAlreadyWhole_416AndTheFileIsHashedAsItIs()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve("/f/model.gguf", content);
        var source = Source("/f/model.gguf");
        File.WriteAllBytes(PartialPath(source), content);
        File.WriteAllText(
            PartialPath(source) + ".json",
            $$"""{"Source":"{{PartialDownload.SourceKey(source.Url)}}","ETag":"\"v1\"","LinkedETag":null,"Length":{{content.Length}}}""");

        var result = await Download(source);

        var request = Assert.Single(_server.Requests);
        Assert.Equal($"bytes={content.Length}-", request.Range);
        Assert.Equal(TestGgufFiles.Sha256(content), result.Sha256);
        Assert.Equal(content, File.ReadAllBytes(PartialPath(source)));
    }

    [Fact]
    public async Task DownloadAsync_PartialFileFromAnotherSource_DiscardedAndFetchedWhole()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve("/f/model.gguf", content);
        var source = Source("/f/model.gguf");
        File.WriteAllBytes(PartialPath(source), new byte[1000]);
        using var notes = new StringWriter();

        var result = await Download(source, notes: notes);

        Assert.Null(Assert.Single(_server.Requests).Range);
        Assert.Contains("is not a resumable start of", notes.ToString(), StringComparison.Ordinal);
        Assert.Equal(TestGgufFiles.Sha256(content), result.Sha256);
    }

    [Fact]
    public async Task DownloadAsync_RedirectToAnotherHost_TokenGoesToTheEndpointOnly()
    {
        var content = TestGgufFiles.Llama3();
        var cdn = await ModelFileServer.StartAsync();
        await using var _ = cdn;
        cdn.Serve("/blobs/abc", content);
        _server.Serve("/acme/repo/resolve/main/model.gguf", []).RedirectTo = cdn.Url("/blobs/abc?X-Amz-Signature=s3cr3t");
        var source = Source("/acme/repo/resolve/main/model.gguf");

        var result = await Download(source, token: "hf_secret");

        Assert.Equal("Bearer hf_secret", Assert.Single(_server.Requests).Authorization);
        var atCdn = Assert.Single(cdn.Requests);
        Assert.Equal("/blobs/abc?X-Amz-Signature=s3cr3t", atCdn.Target);
        Assert.Null(atCdn.Authorization);
        Assert.Equal(TestGgufFiles.Sha256(content), result.Sha256);
    }

    [Fact]
    public async Task DownloadAsync_RedirectBackToTheEndpoint_TokenStaysDropped()
    {
        var content = TestGgufFiles.Llama3();
        var other = await ModelFileServer.StartAsync();
        await using var _ = other;
        _server.Serve("/start.gguf", []).RedirectTo = other.Url("/bounce");
        other.Serve("/bounce", []).RedirectTo = _server.Url("/final.gguf");
        _server.Serve("/final.gguf", content);

        await Download(Source("/start.gguf"), token: "hf_secret");

        Assert.Equal("Bearer hf_secret", _server.Requests[0].Authorization);
        Assert.Null(Assert.Single(other.Requests).Authorization);
        Assert.Null(_server.Requests[1].Authorization);
    }

    [Fact]
    public async Task DownloadAsync_RedirectToPlainHttpOnTheNetwork_Refused()
    {
        _server.Serve("/f/model.gguf", []).RedirectTo = new Uri("http://cdn.example.com/model.gguf");

        var failure = await Assert.ThrowsAsync<DownloadFailure>(() => Download(Source("/f/model.gguf")));

        Assert.Equal(DownloadFailureKind.Refused, failure.Kind);
        Assert.Contains("redirected to plain http (http://cdn.example.com/model.gguf)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DownloadAsync_EndlessRedirects_GivesUp()
    {
        _server.Serve("/loop.gguf", []).RedirectTo = _server.Url("/loop.gguf");

        var failure = await Assert.ThrowsAsync<DownloadFailure>(() => Download(Source("/loop.gguf")));

        Assert.Contains("redirected more than 10 times", failure.Message, StringComparison.Ordinal);
        Assert.Equal(11, _server.Requests.Count);
    }

    [Fact]
    public async Task DownloadAsync_PlainUrlNotFound_RefusedAskingToCheckTheUrl()
    {
        var failure = await Assert.ThrowsAsync<DownloadFailure>(() => Download(Source("/missing.gguf")));

        Assert.Equal(DownloadFailureKind.Refused, failure.Kind);
        Assert.Contains("answered 404 Not Found", failure.Message, StringComparison.Ordinal);
        Assert.Contains("check the URL", failure.Message, StringComparison.Ordinal);
    }

    private ModelSource Source(string target) => new()
    {
        Url = _server.Url(target),
        FileName = "model.gguf",
        HuggingFaceEndpoint = _server.BaseAddress,
    };

    private string PartialPath(ModelSource source) => _models.File(source.FileName) + ModelDirectory.PartialSuffix;

    private async Task<DownloadResult> Download(ModelSource source, string? token = null, TextWriter? notes = null, HttpMessageHandler? handler = null)
    {
        using var http = new HttpClient(handler ?? ModelDownloader.CreateDefaultHandler(ModelDownloadOptions.Default)) { Timeout = Timeout.InfiniteTimeSpan };
        var downloader = new ModelDownloader(http, ModelDownloadOptions.Default, TimeProvider.System);
        using var partial = PartialDownload.Open(_models.File(source.FileName));
        return await downloader.DownloadAsync(source, token, partial, new DownloadProgress(TextWriter.Null, TimeProvider.System, "model.gguf", terminal: false), notes ?? TextWriter.Null, CancellationToken.None);
    }

    /// <summary>Downloads through a handler that strips If-Range, as a server or proxy that ignores it would.</summary>
    private Task<DownloadResult> DownloadIgnoringIfRange(ModelSource source, TextWriter notes) =>
        Download(source, notes: notes, handler: new StripIfRangeHandler(ModelDownloader.CreateDefaultHandler(ModelDownloadOptions.Default)));

    private sealed class StripIfRangeHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.IfRange = null;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
