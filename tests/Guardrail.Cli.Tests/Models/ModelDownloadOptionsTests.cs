using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

public sealed class ModelDownloadOptionsTests
{
    [Fact]
    public void Validate_Defaults_NoProblems() => Assert.Empty(ModelDownloadOptions.Default.Validate());

    [Fact]
    public void Validate_EverythingOutOfRange_ListsEveryProblem()
    {
        var options = new ModelDownloadOptions
        {
            ConnectTimeout = TimeSpan.Zero,
            ResponseTimeout = TimeSpan.FromSeconds(-1),
            IdleTimeout = TimeSpan.Zero,
            MaxRedirects = 0,
            BufferSize = 100,
        };

        Assert.Equal(
            ["ConnectTimeout must be positive.", "ResponseTimeout must be positive.", "IdleTimeout must be positive.", "MaxRedirects must be 1 to 20.", "BufferSize must be 4 KiB to 16 MiB."],
            options.Validate());
    }

    [Fact]
    public void ModelDownloader_InvalidOptions_Refused()
    {
        using var http = new HttpClient();

        var error = Assert.Throws<ArgumentException>(() => new ModelDownloader(http, new ModelDownloadOptions { MaxRedirects = 50 }, TimeProvider.System));

        Assert.Contains("MaxRedirects must be 1 to 20.", error.Message, StringComparison.Ordinal);
    }
}
