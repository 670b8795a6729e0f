using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

/// <summary>
/// <c>guardrail model pull</c> end to end: the command, a real Kestrel server on loopback standing in for Hugging
/// Face (through HF_ENDPOINT), real files in a scratch models directory. Nothing reaches the internet.
/// </summary>
public sealed class ModelPullerTests : IAsyncLifetime, IDisposable
{
    private const string Target = "/acme/tiny-llama-GGUF/resolve/main/tiny.Q8_0.gguf";
    private const string Reference = "acme/tiny-llama-GGUF/tiny.Q8_0.gguf";

    private readonly TempDirectory _models = new();
    private ModelFileServer _server = null!;

    public async Task InitializeAsync() => _server = await ModelFileServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _models.Dispose();

    private string FinalPath => _models.File("tiny.Q8_0.gguf");

    [Fact]
    public async Task PullAsync_HuggingFaceReference_DownloadsVerifiesAndPrintsThePath()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve(Target, content);

        var (exitCode, output, error) = await Pull(Reference);

        Assert.True(exitCode == ModelExitCodes.Success, error);
        Assert.Equal(FinalPath + "\n", output);
        Assert.Equal(content, File.ReadAllBytes(FinalPath));
        Assert.Equal(["tiny.Q8_0.gguf"], Directory.GetFiles(_models.Path).Select(Path.GetFileName));
        Assert.Contains($"sha256 {TestGgufFiles.Sha256(content)}", error, StringComparison.Ordinal);
        Assert.Contains("llama", error, StringComparison.Ordinal);
        Assert.Contains("100%", error, StringComparison.Ordinal);
        var request = Assert.Single(_server.Requests);
        Assert.Equal(Target, request.Target);
        Assert.Null(request.Range);
        Assert.Null(request.Authorization);
    }

    [Fact]
    public async Task PullAsync_ConnectionClosedMidFile_ExitsToRetryThenResumesWithARangeRequest()
    {
        var content = TestGgufFiles.Llama3(weightBytes: 6 << 20);
        _server.Serve(Target, content).AbortAfterBytes = 3 << 20;

        var (firstExit, firstOutput, firstError) = await Pull(Reference);

        Assert.Equal(ModelExitCodes.TryAgain, firstExit);
        Assert.Empty(firstOutput);
        Assert.Contains("run the same command again to resume", firstError, StringComparison.Ordinal);
        Assert.False(File.Exists(FinalPath));
        var kept = new FileInfo(FinalPath + ".partial").Length;
        Assert.InRange(kept, 1, content.Length - 1);

        var (exitCode, output, error) = await Pull(Reference);

        Assert.True(exitCode == ModelExitCodes.Success, error);
        Assert.Equal(FinalPath + "\n", output);
        Assert.Contains("resuming at", error, StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal($"bytes={kept}-", _server.Requests[1].Range);
        Assert.Equal("\"v1\"", _server.Requests[1].IfRange);
        Assert.Equal(content, File.ReadAllBytes(FinalPath));
        Assert.False(File.Exists(FinalPath + ".partial"));
        Assert.False(File.Exists(FinalPath + ".partial.json"));
    }

    [Fact]
    public async Task PullAsync_WrongSha256_RefusedAndNothingLeftUnderEitherName()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve(Target, content);
        var wrong = new string('0', 64);

        var (exitCode, output, error) = await Pull(Reference, "--sha256", wrong);

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Empty(output);
        Assert.Contains($"its SHA-256 is {TestGgufFiles.Sha256(content)}, but {wrong} was expected (as --sha256 gave it)", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_models.Path));
    }

    [Fact]
    public async Task PullAsync_RightSha256InUpperCase_Accepted()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve(Target, content);

        var (exitCode, _, error) = await Pull(Reference, "--sha256", TestGgufFiles.Sha256(content).ToUpperInvariant());

        Assert.True(exitCode == ModelExitCodes.Success, error);
        Assert.Contains("checksum verified", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_NotAGgufFile_RefusedAndDeleted()
    {
        _server.Serve(Target, "<html>Sign in to continue</html>"u8.ToArray());

        var (exitCode, output, error) = await Pull(Reference);

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Empty(output);
        Assert.Contains("tiny.Q8_0.gguf was downloaded but refused", error, StringComparison.Ordinal);
        Assert.Contains("does not start with the GGUF magic", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_models.Path));
    }

    [Fact]
    public async Task PullAsync_GgufOfAnotherArchitecture_RefusedNamingIt()
    {
        _server.Serve(Target, TestGgufFiles.Write(architecture: "qwen2"));

        var (exitCode, _, error) = await Pull(Reference);

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Contains("its architecture is 'qwen2', not 'llama'", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_models.Path));
    }

    [Fact]
    public async Task PullAsync_GatedWithoutToken_401ExplainedAndSucceedsWithToken()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve(Target, content).RequiredToken = "hf_test_token";

        var (refusedExit, _, refused) = await Pull(Reference);

        Assert.Equal(ModelExitCodes.Failed, refusedExit);
        Assert.Contains("answered 401", refused, StringComparison.Ordinal);
        Assert.Contains("the repository is gated", refused, StringComparison.Ordinal);
        Assert.Contains($"{_server.BaseAddress}acme/tiny-llama-GGUF, accept the licence", refused, StringComparison.Ordinal);
        Assert.Contains("set HF_TOKEN", refused, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_models.Path));

        var (exitCode, _, error) = await ModelCli.RunAsync(ModelCli.For(_server, token: "hf_test_token"), "model", "pull", Reference, "--models-dir", _models.Path);

        Assert.True(exitCode == ModelExitCodes.Success, error);
        Assert.Equal(content, File.ReadAllBytes(FinalPath));
        Assert.Equal("Bearer hf_test_token", _server.Requests[^1].Authorization);
        Assert.DoesNotContain("hf_test_token", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_TokenOptionRefused_SaysTheTokenWasRefused()
    {
        _server.Serve(Target, TestGgufFiles.Llama3()).RequiredToken = "hf_right";

        var (exitCode, _, error) = await Pull(Reference, "--token", "hf_wrong");

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Contains("this token's account has not been granted access", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hf_wrong", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_FileNotInRepository_404ExplainedWithTheParts()
    {
        var (exitCode, output, error) = await Pull("acme/tiny-llama-GGUF/tiny.Q9_9.gguf", "--revision", "v2");

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Empty(output);
        Assert.Contains("answered 404", error, StringComparison.Ordinal);
        Assert.Contains("acme/tiny-llama-GGUF has no file 'tiny.Q9_9.gguf' at revision v2", error, StringComparison.Ordinal);
        Assert.Contains("case-sensitive", error, StringComparison.Ordinal);
        Assert.Equal("/acme/tiny-llama-GGUF/resolve/v2/tiny.Q9_9.gguf", Assert.Single(_server.Requests).Target);
        Assert.Empty(Directory.GetFiles(_models.Path));
    }

    [Fact]
    public async Task PullAsync_ServerUnreachable_ExitCode69WithOneParagraphAndNothingLeft()
    {
        var closed = ClosedLoopbackPort();
        var environment = ModelCli.Environment(new Dictionary<string, string>(StringComparer.Ordinal) { ["HF_ENDPOINT"] = $"http://127.0.0.1:{closed}" });

        var (exitCode, output, error) = await ModelCli.RunAsync(environment, "model", "pull", Reference, "--models-dir", _models.Path);

        Assert.Equal(ModelExitCodes.Unreachable, exitCode);
        Assert.Empty(output);
        Assert.Equal(1, error.Count(c => c == '\n'));
        Assert.StartsWith($"error: Could not reach 127.0.0.1:{closed}: no connection", error, StringComparison.Ordinal);
        Assert.Contains("HTTPS_PROXY", error, StringComparison.Ordinal);
        Assert.Contains($"copy it to {FinalPath}", error, StringComparison.Ordinal);
        Assert.Contains("Guardrail:Classifier:ModelPath", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_models.Path));
    }

    [Fact]
    public async Task PullAsync_ModelAlreadyPresent_SkipsTheDownloadUnlessForced()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve(Target, content);
        Assert.Equal(ModelExitCodes.Success, (await Pull(Reference)).ExitCode);

        var (exitCode, output, error) = await Pull(Reference);

        Assert.Equal(ModelExitCodes.Success, exitCode);
        Assert.Equal(FinalPath + "\n", output);
        Assert.Contains("already in", error, StringComparison.Ordinal);
        Assert.Single(_server.Requests);

        var replacement = TestGgufFiles.Llama3(seed: 2);
        _server.Serve(Target, replacement);
        var (forcedExit, _, forcedError) = await Pull(Reference, "--force");

        Assert.True(forcedExit == ModelExitCodes.Success, forcedError);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(replacement, File.ReadAllBytes(FinalPath));
    }

    [Fact]
    public async Task PullAsync_BrokenFileAlreadyPresent_RefusedUntilForced()
    {
        File.WriteAllText(FinalPath, "not a model");

        var (exitCode, _, error) = await Pull(Reference);

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Contains("is already there but is not a usable model", error, StringComparison.Ordinal);
        Assert.Contains("--force", error, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task PullAsync_HuggingFaceStatesTheChecksum_VerifiedAgainstIt()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve(Target, content).LinkedETag = $"\"{TestGgufFiles.Sha256(content)}\"";

        var (exitCode, _, error) = await Pull(Reference);

        Assert.True(exitCode == ModelExitCodes.Success, error);
        Assert.Contains("checksum verified", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_StatedChecksumDiffersFromTheExpectedOne_RefusedBeforeDownloading()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve(Target, content).LinkedETag = $"\"{new string('a', 64)}\"";

        var (exitCode, _, error) = await Pull(Reference, "--sha256", TestGgufFiles.Sha256(content));

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Contains($"Hugging Face states that {Reference} at revision main has SHA-256 {new string('a', 64)}", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was downloaded", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_models.Path));
    }

    [Fact]
    public async Task PullAsync_CatalogueName_FetchesThePinnedRevisionAndChecksIts256()
    {
        var content = TestGgufFiles.Llama3();
        var catalog = TestCatalog(TestGgufFiles.Sha256(content));
        _server.Serve("/acme/guard-GGUF/resolve/0123456789abcdef0123456789abcdef01234567/guard.Q8_0.gguf", content);

        var (exitCode, output, error) = await ModelCli.RunAsync(ModelCli.For(_server, catalog: catalog), "model", "pull", "test-guard", "--models-dir", _models.Path);

        Assert.True(exitCode == ModelExitCodes.Success, error);
        Assert.Equal(_models.File("guard.Q8_0.gguf") + "\n", output);
        Assert.Contains("checksum verified", error, StringComparison.Ordinal);
        var (_, list, _) = await ModelCli.RunAsync(ModelCli.For(_server, catalog: catalog), "model", "list", "--models-dir", _models.Path);
        Assert.Contains("test-guard (default)", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_EmbeddedCatalogueNameServedOtherBytes_RefusedByTheRecordedChecksum()
    {
        var entry = ModelCatalog.Embedded.Find("llama-guard-3-1b")!;
        var target = $"/{entry.Repository}/resolve/{entry.Revision}/{entry.File}";
        _server.Serve(target, TestGgufFiles.Llama3());

        var (exitCode, _, error) = await ModelCli.RunAsync(ModelCli.For(_server), "model", "pull", "llama-guard-3-1b", "--models-dir", _models.Path);

        Assert.Equal(ModelExitCodes.Failed, exitCode);
        Assert.Equal(target, Assert.Single(_server.Requests).Target);
        Assert.Contains($"but {entry.Sha256} was expected (as the catalogue entry 'llama-guard-3-1b' records it)", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_models.Path));
    }

    [Fact]
    public async Task PullAsync_Defaults_PullsTheDefaultGuardAndInstructModels()
    {
        var guard = TestGgufFiles.Llama3(seed: 3);
        var instruct = TestGgufFiles.Llama3(seed: 4);
        var catalog = TestCatalog(TestGgufFiles.Sha256(guard), TestGgufFiles.Sha256(instruct));
        _server.Serve("/acme/guard-GGUF/resolve/0123456789abcdef0123456789abcdef01234567/guard.Q8_0.gguf", guard);
        _server.Serve("/acme/instruct-GGUF/resolve/89abcdef0123456789abcdef0123456789abcdef/instruct.Q4_K_M.gguf", instruct);

        var (exitCode, output, error) = await ModelCli.RunAsync(ModelCli.For(_server, catalog: catalog), "model", "pull", "--defaults", "--models-dir", _models.Path);

        Assert.True(exitCode == ModelExitCodes.Success, error);
        Assert.Equal($"{_models.File("guard.Q8_0.gguf")}\n{_models.File("instruct.Q4_K_M.gguf")}\n", output);
        var (pathExit, paths, _) = await ModelCli.RunAsync(ModelCli.For(_server, catalog: catalog), "model", "path", "--defaults", "--models-dir", _models.Path);
        Assert.Equal(ModelExitCodes.Success, pathExit);
        Assert.Equal(output, paths);
    }

    [Fact]
    public async Task PullAsync_PlainHttpUrlToANetworkHost_RefusedAsUsage()
    {
        var (exitCode, _, error) = await Pull("http://models.example.com/tiny.gguf");

        Assert.Equal(ModelExitCodes.Usage, exitCode);
        Assert.Contains("models are fetched over https only", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_LoopbackUrl_DownloadsWithoutSendingTheToken()
    {
        var content = TestGgufFiles.Llama3();
        _server.Serve("/files/tiny.gguf", content);
        var other = await ModelFileServer.StartAsync();
        await using var _ = other;
        var environment = ModelCli.For(other, token: "hf_secret");

        var (exitCode, output, error) = await ModelCli.RunAsync(environment, "model", "pull", _server.Url("/files/tiny.gguf?sig=abc").AbsoluteUri, "--models-dir", _models.Path);

        Assert.True(exitCode == ModelExitCodes.Success, error);
        Assert.Equal(_models.File("tiny.gguf") + "\n", output);
        Assert.Null(Assert.Single(_server.Requests).Authorization);
        Assert.Contains("the Hugging Face token is not sent to", error, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=abc", error, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Output, string Error)> Pull(params string[] args) =>
        ModelCli.RunAsync(ModelCli.For(_server), ["model", "pull", .. args, "--models-dir", _models.Path]);

    /// <summary>A catalogue of two entries on the test server's repositories, with the given checksums.</summary>
    internal static ModelCatalog TestCatalog(string guardSha256, string? instructSha256 = null) => ModelCatalog.Parse($$"""
        {
          "checked": "2026-12-01",
          "models": [
            { "name": "test-guard", "role": "guard", "default": true, "description": "A test guard.",
              "repository": "acme/guard-GGUF", "revision": "0123456789abcdef0123456789abcdef01234567", "file": "guard.Q8_0.gguf",
              "quantization": "Q8_0", "size": "9 MB", "sha256": "{{guardSha256}}", "source": ["https://huggingface.co/acme/guard-GGUF"] },
            { "name": "test-instruct", "role": "instruct", "default": true, "description": "A test instruct model.",
              "repository": "acme/instruct-GGUF", "revision": "89abcdef0123456789abcdef0123456789abcdef", "file": "instruct.Q4_K_M.gguf",
              "quantization": "Q4_K_M", "size": "9 MB", "sha256": "{{instructSha256 ?? new string('b', 64)}}", "source": ["https://huggingface.co/acme/instruct-GGUF"] }
          ]
        }
        """);

    private static int ClosedLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
