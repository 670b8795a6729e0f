using System.Text;
using Guardrail.Policies;
using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

/// <summary>Step-by-step runs: the test looks at the downstream before it supplies the next upstream chunk.</summary>
public sealed class StreamModeratorGatedTests
{
    [Fact]
    public async Task RunAsync_WindowMode_HoldsShortTextUntilWindowOrFinish()
    {
        var log = new StreamLog();
        var upstream = new GatedUpstream();
        using var downstream = new RecordingDownstream(log);
        var moderator = new StreamModerator(new StreamModerationOptions { WindowChars = 20, OverlapChars = 5 });
        var run = moderator.RunAsync(upstream, downstream, new KeywordCheck(log).CheckAsync, CancellationToken.None);

        await upstream.SupplyAsync(Event(ChatStreams.ChunkJson(0, content: "Short start. ")), run);
        Assert.Empty(downstream.Bytes);

        await upstream.SupplyAsync(Event(ChatStreams.ChunkJson(0, content: "Now past the window.")), run);
        Assert.Contains("Now past the window.", downstream.Text, StringComparison.Ordinal);
        var afterWindow = downstream.Bytes.Length;

        await upstream.SupplyAsync(Event(ChatStreams.ChunkJson(0, content: " Tail.")), run);
        Assert.Equal(afterWindow, downstream.Bytes.Length);

        await upstream.SupplyAsync(Event(ChatStreams.ChunkJson(0, finish: "stop")), run);
        Assert.Contains(" Tail.", downstream.Text, StringComparison.Ordinal);

        await upstream.SupplyAsync(Event("[DONE]"), run);
        await upstream.SupplyAsync([], run);
        var result = await run;

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.EndsWith("data: [DONE]\n\n", downstream.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Blocked_DoesNotReadUpstreamAgain()
    {
        var log = new StreamLog();
        var upstream = new GatedUpstream();
        using var downstream = new RecordingDownstream(log);
        var moderator = new StreamModerator(new StreamModerationOptions { WindowChars = 10, OverlapChars = 2 });
        var run = moderator.RunAsync(upstream, downstream, new KeywordCheck(log).CheckAsync, CancellationToken.None);

        await upstream.SupplyAsync(Event(ChatStreams.ChunkJson(0, content: "all about a bomb")), run);
        var result = await run;

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal(1, upstream.Reads);
        Assert.DoesNotContain("bomb", downstream.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MonitorMode_ForwardsEachChunkBeforeTheNextRead()
    {
        var log = new StreamLog();
        var upstream = new GatedUpstream();
        using var downstream = new RecordingDownstream(log);
        var moderator = new StreamModerator(new StreamModerationOptions { Mode = StreamingMode.Monitor });
        var run = moderator.RunAsync(upstream, downstream, new KeywordCheck(log).CheckAsync, CancellationToken.None);

        var first = Event(ChatStreams.ChunkJson(0, content: "a bomb"));
        await upstream.SupplyAsync(first, run);

        Assert.Equal(first, downstream.Bytes);
        await upstream.SupplyAsync([], run);
        Assert.Single((await run).Flags);
    }

    private static byte[] Event(string data) => Encoding.UTF8.GetBytes(ChatStreams.Event(data));
}
