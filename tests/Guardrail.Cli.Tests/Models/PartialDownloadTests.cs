using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

public sealed class PartialDownloadTests : IDisposable
{
    private readonly TempDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private string FinalPath => _scratch.File("m.gguf");

    [Fact]
    public void Open_WhileAnotherPullHoldsIt_RefusedAsInUse()
    {
        using var first = PartialDownload.Open(FinalPath);
        first.Stream.WriteByte(1);

        var failure = Assert.Throws<DownloadFailure>(() => PartialDownload.Open(FinalPath));

        Assert.Contains("another 'guardrail model pull' is downloading this file", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_NothingWritten_LeavesNoFileBehind()
    {
        using (var partial = PartialDownload.Open(FinalPath))
        {
            partial.SaveState(new DownloadState("k", null, null, 10));
        }

        Assert.Empty(Directory.GetFiles(_scratch.Path));
    }

    [Fact]
    public void Dispose_BytesWritten_KeepsThemAndTheStateForTheNextRun()
    {
        var state = new DownloadState("key", "\"e\"", null, 10);
        using (var partial = PartialDownload.Open(FinalPath))
        {
            partial.Stream.Write([1, 2, 3]);
            partial.SaveState(state);
        }

        using var again = PartialDownload.Open(FinalPath);
        Assert.Equal(3, again.Stream.Length);
        Assert.Equal(state, again.LoadState());
    }

    [Fact]
    public void Commit_RenamesIntoPlaceReplacingAnOlderFileAndDropsTheState()
    {
        File.WriteAllText(FinalPath, "old");
        using (var partial = PartialDownload.Open(FinalPath))
        {
            partial.Stream.Write("new"u8);
            partial.SaveState(new DownloadState("k", null, null, 3));
            partial.Commit();
        }

        Assert.Equal("new", File.ReadAllText(FinalPath));
        Assert.Equal([FinalPath], Directory.GetFiles(_scratch.Path));
    }

    [Fact]
    public void LoadState_Corrupt_NullSoTheDownloadStartsOver()
    {
        File.WriteAllText(FinalPath + ".partial.json", "{ not json");
        using var partial = PartialDownload.Open(FinalPath);

        Assert.Null(partial.LoadState());
    }

    [Fact]
    public void SourceKey_IsAHashNotTheUrl()
    {
        var key = PartialDownload.SourceKey(new Uri("https://cdn.example.com/f?signature=secret"));

        Assert.Equal(64, key.Length);
        Assert.DoesNotContain("secret", key, StringComparison.Ordinal);
    }
}
