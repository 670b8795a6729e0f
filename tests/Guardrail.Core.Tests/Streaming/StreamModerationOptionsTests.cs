using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

public sealed class StreamModerationOptionsTests
{
    [Fact]
    public void StreamModeratorConstructor_InvalidOptions_ListsEveryProblem()
    {
        var options = new StreamModerationOptions { WindowChars = 0, OverlapChars = -1, MaxEventBytes = 0, MaxBufferedBytes = -5 };

        var exception = Assert.Throws<ArgumentException>(() => new StreamModerator(options));

        Assert.Equal(4, options.Validate().Count);
        Assert.Contains("WindowChars", exception.Message, StringComparison.Ordinal);
        Assert.Contains("OverlapChars", exception.Message, StringComparison.Ordinal);
        Assert.Contains("MaxEventBytes", exception.Message, StringComparison.Ordinal);
        Assert.Contains("MaxBufferedBytes", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Defaults_Valid() => Assert.Empty(new StreamModerationOptions().Validate());

    [Fact]
    public void Validate_OverlapNotBelowWindowAndSmallRetention_BothReported()
    {
        var errors = new StreamModerationOptions { WindowChars = 10, OverlapChars = 10, MaxRetainedChars = 15 }.Validate();

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("OverlapChars", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("MaxRetainedChars", StringComparison.Ordinal));
    }
}
