using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

public sealed class ChoiceTranscriptTests
{
    [Fact]
    public void Append_ContentRefusalAndToolCalls_RenderedInStreamOrder()
    {
        var transcript = new ChoiceTranscript(0, 1000);

        transcript.Append(new ChoiceDelta { Content = "Sure." });
        transcript.Append(new ChoiceDelta { ToolCalls = [new ToolCallDelta { Index = 0, Name = "search", Arguments = "{\"q\":" }] });
        transcript.Append(new ChoiceDelta { ToolCalls = [new ToolCallDelta { Index = 0, Arguments = "\"x\"}" }] });
        transcript.Append(new ChoiceDelta { ToolCalls = [new ToolCallDelta { Index = 1, Name = "open", Arguments = "{}" }] });

        Assert.Equal("Sure.\n[tool_call search]\n{\"q\":\"x\"}\n[tool_call open]\n{}", transcript.ToString());
    }

    [Fact]
    public void Trim_OverRetention_DropsOnlyCheckedTextBeforeTheOverlap()
    {
        var transcript = new ChoiceTranscript(0, maxRetainedChars: 20);
        transcript.Append(new ChoiceDelta { Content = new string('a', 30) });
        transcript.CheckedUpTo = 12;

        transcript.Trim(overlapChars: 4);

        Assert.Equal(8, transcript.Start);
        Assert.Equal(30, transcript.Length);
        Assert.Equal(22, transcript.Slice(transcript.Start).Length);
    }

    [Fact]
    public void Trim_AllChecked_KeepsHalfTheRetention()
    {
        var transcript = new ChoiceTranscript(0, maxRetainedChars: 20);
        transcript.Append(new ChoiceDelta { Content = new string('a', 30) + "tail" });
        transcript.CheckedUpTo = 34;

        transcript.Trim(overlapChars: 4);

        Assert.Equal(24, transcript.Start);
        Assert.Equal("aaaaaatail", transcript.Slice(transcript.Start));
    }
}
