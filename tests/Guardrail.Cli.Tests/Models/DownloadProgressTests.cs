using Guardrail.Cli.Models;

namespace Guardrail.Cli.Tests.Models;

public sealed class DownloadProgressTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Report_NotATerminal_OneLinePerTenthWithRateAndTimeLeft()
    {
        var time = new FakeTimeProvider();
        using var writer = new StringWriter();
        var progress = new DownloadProgress(writer, time, "m.gguf", terminal: false);

        progress.Start(total: 100 * MiB, resumedFrom: 0);
        for (var mib = 1; mib <= 100; mib++)
        {
            time.Advance(TimeSpan.FromSeconds(0.1));
            progress.Report(mib * MiB);
        }

        progress.Finish(100 * MiB);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, lines.Length);
        Assert.Equal("m.gguf: downloading 100.0 MiB", lines[0]);
        Assert.Equal("m.gguf:  10% 10.0 MiB of 100.0 MiB, 10.0 MiB/s, 9s left", lines[1]);
        Assert.Equal("m.gguf: 100% 100.0 MiB of 100.0 MiB, 10.0 MiB/s, 0s left", lines[10]);
    }

    [Fact]
    public void Start_Resumed_SaysWhereAndCountsTheRateFromNewBytesOnly()
    {
        var time = new FakeTimeProvider();
        using var writer = new StringWriter();
        var progress = new DownloadProgress(writer, time, "m.gguf", terminal: false);

        progress.Start(total: 100 * MiB, resumedFrom: 50 * MiB);
        time.Advance(TimeSpan.FromSeconds(10));
        progress.Report(60 * MiB);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("m.gguf: resuming at 50.0 MiB of 100.0 MiB", lines[0]);
        Assert.Equal("m.gguf:  60% 60.0 MiB of 100.0 MiB, 1.0 MiB/s, 40s left", lines[1]);
    }

    [Fact]
    public void Report_Terminal_RedrawsOneLineInPlaceAtMostFourTimesASecond()
    {
        var time = new FakeTimeProvider();
        using var writer = new StringWriter();
        var progress = new DownloadProgress(writer, time, "m.gguf", terminal: true);

        progress.Start(total: 4 * MiB, resumedFrom: 0);
        progress.Report(1 * MiB);
        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(2 * MiB);
        progress.Finish(4 * MiB);

        var text = writer.ToString();
        Assert.Equal(3, text.Count(c => c == '\r'));
        Assert.Contains("\rm.gguf [############............]  50% 2.0 MiB of 4.0 MiB, 2.0 MiB/s, 1s left", text, StringComparison.Ordinal);
        Assert.EndsWith("100% 4.0 MiB of 4.0 MiB, 4.0 MiB/s, 0s left\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_UnknownLength_BytesAndRateEvery128MiB()
    {
        var time = new FakeTimeProvider();
        using var writer = new StringWriter();
        var progress = new DownloadProgress(writer, time, "m.gguf", terminal: false);

        progress.Start(total: null, resumedFrom: 0);
        time.Advance(TimeSpan.FromSeconds(2));
        progress.Report(100 * MiB);
        progress.Report(200 * MiB);
        progress.Finish(210 * MiB);

        Assert.Equal(
            "m.gguf: downloading unknown size\nm.gguf: 200.0 MiB, 100.0 MiB/s\nm.gguf: 210.0 MiB, 105.0 MiB/s\n",
            writer.ToString().ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData(0.2, "1s")]
    [InlineData(59, "59s")]
    [InlineData(61, "1m01s")]
    [InlineData(3725, "1h02m")]
    public void FormatDuration_Seconds_ShortestReadableForm(double seconds, string expected) =>
        Assert.Equal(expected, DownloadProgress.FormatDuration(TimeSpan.FromSeconds(seconds)));
}
