using Guardrail.Cli.Commands;

namespace Guardrail.Cli.Tests.Commands;

public sealed class ProgressBarTests
{
    [Fact]
    public void Report_Items_ShowsCountRateAndTimeLeft()
    {
        var time = new FakeTimeProvider();
        using var output = new StringWriter();
        using (var bar = ProgressBar.ForWriter(output, "Classifying", time))
        {
            time.Advance(TimeSpan.FromSeconds(10));
            bar.Report(25, 100);
        }

        // 25 items in 10 s: 2.5 items/s, 75 left: 30 s.
        Assert.Equal("\rClassifying [#######                       ]  25% 25/100 items, 2.5 items/s, 0:30 left" + Environment.NewLine, output.ToString());
    }

    [Fact]
    public void Report_NoTimePassed_SaysTheTimeLeftIsUnknown()
    {
        using var output = new StringWriter();
        using var bar = ProgressBar.ForWriter(output, "Classifying", new FakeTimeProvider());

        bar.Report(0, 10);

        Assert.EndsWith("0/10 items, 0.0 items/s, ? left", output.ToString(), StringComparison.Ordinal);
    }
}
