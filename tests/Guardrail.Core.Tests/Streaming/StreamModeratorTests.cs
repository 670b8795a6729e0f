using System.Text.Json;
using System.Text;
using Guardrail.Policies;
using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

public sealed partial class StreamModeratorTests
{
    private const string SafeText =
        "The harbour was quiet that morning. Fishermen mended their nets, gulls argued over scraps, " +
        "and the café on the corner served été specials to tourists who had wandered down 🚢 from the old town.";

    private const string BlockedText =
        "Here is a harmless intro that goes on for a while. Now the bomb recipe follows, " +
        "and much more text after it that must never be read by anyone.";

    private static readonly StreamModerationOptions SmallWindow = new() { WindowChars = 40, OverlapChars = 10 };

    [Theory]
    [MemberData(nameof(ProtocolsAndSeeds))]
    public async Task RunAsync_SafeStreamRandomChunks_OutputIsByteIdentical(StreamProtocol protocol, int seed)
    {
        var body = protocol == StreamProtocol.Responses ? ResponsesStreams.Text(ChatStreams.Words(SafeText)) : ChatStreams.Chat(ChatStreams.Words(SafeText), usage: true);
        var options = SmallWindow with { Protocol = protocol };

        var (result, downstream, log) = await RunAsync(options, ChatStreams.RandomChunks(body, seed));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(Encoding.UTF8.GetBytes(body), downstream.Bytes);
        Assert.True(result.ChecksRun > 3);
        Assert.Equal(SafeText, result.ChoiceTexts[0]);
        AssertNoTextBeforeItsCheck(log, options);
    }

    [Theory]
    [MemberData(nameof(ProtocolsAndSeeds))]
    public async Task RunAsync_WindowModeRandomChunks_NoTextReachesTheClientBeforeACheckCoveredIt(StreamProtocol protocol, int seed)
    {
        var body = protocol == StreamProtocol.Responses ? ResponsesStreams.Text(ChatStreams.Words(BlockedText)) : ChatStreams.Chat(ChatStreams.Words(BlockedText));
        var options = SmallWindow with { Protocol = protocol };

        var (result, downstream, log) = await RunAsync(options, ChatStreams.RandomChunks(body, seed, maxChunk: 25));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        AssertNoTextBeforeItsCheck(log, options);
        var released = ReleasedText(ReleasedBeforeTheBlock(log), options);
        Assert.DoesNotContain("bomb", released[0], StringComparison.Ordinal);
        Assert.StartsWith("Here is a harmless intro", released[0], StringComparison.Ordinal);
        Assert.DoesNotContain("bomb", downstream.Text, StringComparison.Ordinal);
        Assert.EndsWith(protocol == StreamProtocol.Responses ? "}\n\n" : "data: [DONE]\n\n", downstream.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CheckPasses_ReleasedBeforeTheNextUpstreamRead()
    {
        var body = ChatStreams.Chat(ChatStreams.Words(SafeText));

        var (_, _, log) = await RunAsync(SmallWindow, ChatStreams.PerEvent(body));

        var firstPass = log.Entries.FindIndex(e => e is StreamLog.CheckCall { Blocked: false });
        Assert.True(firstPass > 0);
        Assert.IsType<StreamLog.DownstreamWrite>(log.Entries[firstPass + 1]);

        // And nothing with text was written before that first check.
        Assert.DoesNotContain(log.Entries.Take(firstPass), e => e is StreamLog.DownstreamWrite w && ReleasedText(w.Bytes).Count > 0);
    }

    [Fact]
    public async Task RunAsync_TriggerMidStream_PrefixThenContentFilterChunkThenDone()
    {
        var chunks = ChatStreams.PerEvent(ChatStreams.Chat(ChatStreams.Words(BlockedText)));
        var upstreamLog = new StreamLog();
        var upstream = new ScriptedUpstream(chunks, upstreamLog);

        var (result, downstream, log) = await RunAsync(SmallWindow, upstream, upstreamLog);

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal(StreamBlockReason.Check, result.BlockReason);
        Assert.Equal(0, result.BlockedChoiceIndex);
        Assert.Equal("dec-1", result.Guardrail?["decision_id"]?.GetValue<string>());
        Assert.Equal(TestFiles.Golden("streaming/window-block.sse"), downstream.Text);

        // The backend is not read past the chunk that completed the blocked window.
        var blockingCheck = log.Entries.FindIndex(e => e is StreamLog.CheckCall { Blocked: true });
        Assert.DoesNotContain(log.Entries.Skip(blockingCheck), e => e is StreamLog.UpstreamRead);
        Assert.True(upstream.ChunksSupplied < chunks.Length);
    }

    [Theory]
    [InlineData(4, StreamModerationOutcome.Blocked)]
    [InlineData(0, StreamModerationOutcome.Completed)]
    public async Task RunAsync_TriggerSplitAcrossWindows_OverlapDecidesWhetherItIsSeen(int overlap, StreamModerationOutcome expected)
    {
        // The first window ends in "bo", the next starts with "mb": only the overlap puts them together.
        var body = ChatStreams.Chat(["0123456bo", "mb and more text"]);
        var options = new StreamModerationOptions { WindowChars = 9, OverlapChars = overlap };

        var (result, _, log) = await RunAsync(options, ChatStreams.PerEvent(body));

        Assert.Equal(expected, result.Outcome);
        Assert.Equal("0123456bo", log.Checks.First().Check.Text);
        Assert.DoesNotContain(log.Checks, c => c.Check.Text.Contains("0123456bo", StringComparison.Ordinal) && c.Check.Text.Contains("mb", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WindowCheck_GetsOverlapWindowAndFullText()
    {
        var body = ChatStreams.Chat(["0123456789", "abcdefghij", "KLM"]);
        var options = new StreamModerationOptions { WindowChars = 10, OverlapChars = 3 };

        var (_, _, log) = await RunAsync(options, ChatStreams.PerEvent(body));

        var checks = log.Checks.Select(c => c.Check).ToList();
        Assert.Equal(["0123456789", "789abcdefghij", "hijKLM"], checks.Select(c => c.Text));
        Assert.Equal([0L, 7L, 17L], checks.Select(c => c.TextStart));
        Assert.Equal("0123456789abcdefghijKLM", checks[2].FullText);
        Assert.Equal([false, false, true], checks.Select(c => c.IsFinal));
    }

    [Fact]
    public async Task RunAsync_BufferModeSafe_NothingWrittenBeforeTheOneFinalCheck()
    {
        var body = ChatStreams.Chat(ChatStreams.Words(SafeText), usage: true);
        var options = new StreamModerationOptions { Mode = StreamingMode.Buffer, WindowChars = 10, OverlapChars = 2 };

        var (result, downstream, log) = await RunAsync(options, ChatStreams.PerEvent(body));

        var check = Assert.Single(log.Checks);
        Assert.True(check.Check.IsFinal);
        Assert.Equal(SafeText, check.Check.Text);
        var checkAt = log.Entries.IndexOf(check);
        Assert.DoesNotContain(log.Entries.Take(checkAt), e => e is StreamLog.DownstreamWrite);
        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(Encoding.UTF8.GetBytes(body), downstream.Bytes);
    }

    [Fact]
    public async Task RunAsync_BufferModeTrigger_OnlyTheContentFilterChunkAndDone()
    {
        var body = ChatStreams.Chat(ChatStreams.Words(BlockedText));
        var options = new StreamModerationOptions { Mode = StreamingMode.Buffer };

        var (result, downstream, _) = await RunAsync(options, ChatStreams.RandomChunks(body, seed: 3));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        var events = Parse(downstream.Bytes);
        Assert.Equal(2, events.Count);
        AssertContentFilterChunk(events[0], [0]);
        Assert.Equal("[DONE]", events[1].Data);
    }

    [Fact]
    public async Task RunAsync_MonitorModeTrigger_ForwardsEverythingAndReportsTheFlag()
    {
        var body = ChatStreams.Chat(ChatStreams.Words(BlockedText));
        var options = SmallWindow with { Mode = StreamingMode.Monitor };

        var (result, downstream, log) = await RunAsync(options, ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(Encoding.UTF8.GetBytes(body), downstream.Bytes);
        var flag = Assert.Single(result.Flags);
        Assert.Equal(0, flag.ChoiceIndex);
        Assert.Equal("dec-1", flag.Guardrail?["decision_id"]?.GetValue<string>());

        // Forward first: the text the flagged check judged was already written when the check ran.
        var flagged = log.Entries.FindIndex(e => e is StreamLog.CheckCall { Blocked: true });
        var writtenBefore = log.Entries.Take(flagged).OfType<StreamLog.DownstreamWrite>().SelectMany(w => w.Bytes).ToArray();
        Assert.Contains("bomb", ReleasedText(writtenBefore)[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TwoInterleavedChoicesSafe_ByteIdenticalAndBothChecked()
    {
        var body = TwoChoices("the first answer is about gardening and roses", "the second answer is about sailing boats");

        var (result, downstream, log) = await RunAsync(new StreamModerationOptions { WindowChars = 12, OverlapChars = 4 }, ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(Encoding.UTF8.GetBytes(body), downstream.Bytes);
        Assert.Equal([0, 1], log.Checks.Select(c => c.Check.ChoiceIndex).Distinct().Order());
        Assert.Equal("the second answer is about sailing boats", result.ChoiceTexts[1]);
        AssertNoTextBeforeItsCheck(log);
    }

    [Fact]
    public async Task RunAsync_TwoInterleavedChoicesTriggerInSecond_WholeResponseBlocked()
    {
        var body = TwoChoices("the first answer is about gardening and roses", "the second answer explains a bomb in detail");

        var (result, downstream, log) = await RunAsync(new StreamModerationOptions { WindowChars = 12, OverlapChars = 4 }, ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal(1, result.BlockedChoiceIndex);
        AssertNoTextBeforeItsCheck(log);
        var events = Parse(downstream.Bytes);
        AssertContentFilterChunk(events[^2], [0, 1]);
        Assert.Equal("[DONE]", events[^1].Data);
    }

    [Fact]
    public async Task RunAsync_BlockAfterOneChoiceFinished_FilterChunkOmitsTheFinishedChoice()
    {
        var body = new StringBuilder()
            .Append(ChatStreams.Event(ChatStreams.ChunkJson(0, content: "short safe answer")))
            .Append(ChatStreams.Event(ChatStreams.ChunkJson(0, finish: "stop")))
            .Append(ChatStreams.Event(ChatStreams.ChunkJson(1, content: "all about the bomb")))
            .Append(ChatStreams.Event(ChatStreams.ChunkJson(1, finish: "stop")))
            .Append(ChatStreams.Event("[DONE]"))
            .ToString();

        var (result, downstream, _) = await RunAsync(new StreamModerationOptions(), ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        var events = Parse(downstream.Bytes);
        Assert.Equal("stop", ReadChunk(events[1]).Choices[0].FinishReason);
        AssertContentFilterChunk(events[2], [1]);
        Assert.Equal(4, events.Count);
    }

    [Fact]
    public async Task RunAsync_UsageChunkAfterFinish_KeepsItsPlace()
    {
        var body = ChatStreams.Chat(["Hello", " there"], usage: true);

        var (result, downstream, _) = await RunAsync(new StreamModerationOptions(), ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        var events = Parse(downstream.Bytes);
        Assert.True(ReadChunk(events[^2]).HasUsage);
        Assert.Equal("stop", ReadChunk(events[^3]).Choices[0].FinishReason);
        Assert.Equal(Encoding.UTF8.GetBytes(body), downstream.Bytes);
    }

    [Fact]
    public async Task RunAsync_KeepAliveWhileHolding_ForwardedAtOnceAheadOfHeldText()
    {
        var body = new StringBuilder()
            .Append(ChatStreams.Event(ChatStreams.ChunkJson(0, content: "held text")))
            .Append(": keep-alive\n\n")
            .Append(ChatStreams.Event(ChatStreams.ChunkJson(0, finish: "stop")))
            .Append(ChatStreams.Event("[DONE]"))
            .ToString();

        var (result, downstream, log) = await RunAsync(new StreamModerationOptions(), ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        var firstWrite = log.Entries.OfType<StreamLog.DownstreamWrite>().First();
        Assert.Equal(": keep-alive\n\n", Encoding.UTF8.GetString(firstWrite.Bytes));
        Assert.True(log.Entries.IndexOf(firstWrite) < log.Entries.FindIndex(e => e is StreamLog.CheckCall));
        Assert.Equal(body.Replace(": keep-alive\n\n", "", StringComparison.Ordinal), downstream.Text.Replace(": keep-alive\n\n", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_KeepAliveWithNothingHeld_StaysInPlace()
    {
        var body = ": hello\n\n" + ChatStreams.Chat(["Hi"]) ;

        var (_, downstream, _) = await RunAsync(new StreamModerationOptions(), ChatStreams.OneChunk(body));

        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_BackendCutMidEvent_CompleteEventsCheckedAndReleasedWithoutDone()
    {
        var complete = ChatStreams.Event(ChatStreams.ChunkJson(0, content: "Hello ")) + ChatStreams.Event(ChatStreams.ChunkJson(0, content: "world"));
        var body = complete + "data: {\"id\":\"chatcmpl-42\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bo";

        var (result, downstream, log) = await RunAsync(new StreamModerationOptions(), ChatStreams.RandomChunks(body, seed: 9));

        Assert.Equal(StreamModerationOutcome.UpstreamTruncated, result.Outcome);
        Assert.True(result.DiscardedBytes > 0);
        Assert.Equal(complete, downstream.Text);
        Assert.True(Assert.Single(log.Checks).Check.IsFinal);
    }

    [Fact]
    public async Task RunAsync_BackendEndsWithoutDone_Truncated()
    {
        var body = ChatStreams.Event(ChatStreams.ChunkJson(0, content: "Hello"));

        var (result, downstream, _) = await RunAsync(new StreamModerationOptions(), ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.UpstreamTruncated, result.Outcome);
        Assert.Equal(0, result.DiscardedBytes);
        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_BackendConnectionFails_UpstreamFailedAfterReleasingCheckedText()
    {
        var body = ChatStreams.Event(ChatStreams.ChunkJson(0, content: "Hello"));
        var log = new StreamLog();

        var (result, downstream, _) = await RunAsync(new StreamModerationOptions(), new ScriptedUpstream(ChatStreams.OneChunk(body), log) { FailAtEnd = true }, log);

        Assert.Equal(StreamModerationOutcome.UpstreamFailed, result.Outcome);
        Assert.Contains("reset", result.UpstreamError, StringComparison.Ordinal);
        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_EventOverTheSizeLimit_UpstreamFailed()
    {
        var body = ChatStreams.Event(ChatStreams.ChunkJson(0, content: "ok")) + ChatStreams.Event(ChatStreams.ChunkJson(0, content: new string('x', 400)));
        var options = new StreamModerationOptions { MaxEventBytes = 300, MaxBufferedBytes = 300 };

        var (result, downstream, _) = await RunAsync(options, ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.UpstreamFailed, result.Outcome);
        Assert.Equal(ChatStreams.Event(ChatStreams.ChunkJson(0, content: "ok")), downstream.Text);
    }

    [Fact]
    public async Task RunAsync_MalformedChunkFailClosed_BlockedAsUnreadable()
    {
        var body = ChatStreams.Event(ChatStreams.ChunkJson(0, content: "fine")) + "data: {\"choices\":[{\"delta\":{\"content\":\"x\"\n\n" + ChatStreams.Event("[DONE]");

        var (result, downstream, log) = await RunAsync(new StreamModerationOptions(), ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal(StreamBlockReason.UnreadableChunk, result.BlockReason);
        Assert.Equal(1, result.UnreadableChunks);
        var fault = Assert.Single(log.Checks, c => c.Check.Fault is not null);
        Assert.Equal(StreamFault.UnreadableChunk, fault.Check.Fault);
        Assert.Contains("not JSON", fault.Check.FaultDetail, StringComparison.Ordinal);
        Assert.DoesNotContain("fine", downstream.Text, StringComparison.Ordinal);
        Assert.Equal("UnreadableChunk", Parse(downstream.Bytes)[0].Data is { } data ? JsonDocument.Parse(data).RootElement.GetProperty("guardrail").GetProperty("reason").GetString() : null);
    }

    [Fact]
    public async Task RunAsync_MalformedChunkFailOpen_ForwardedInPlaceAndRecorded()
    {
        var body = ChatStreams.Event(ChatStreams.ChunkJson(0, content: "fine")) + "data: not json\n\n" + ChatStreams.Event("[DONE]");
        var log = new StreamLog();
        var check = new KeywordCheck(log) { BlockFaults = false };

        var (result, downstream) = await RunWithAsync(new StreamModerationOptions(), ChatStreams.OneChunk(body), log, check);

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.True(result.FailedOpen);
        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_BufferLimitFailClosed_BlockedWithNothingReleased()
    {
        var body = ChatStreams.Chat(ChatStreams.Words(SafeText + " " + SafeText));
        var options = new StreamModerationOptions { Mode = StreamingMode.Buffer, MaxEventBytes = 512, MaxBufferedBytes = 1024 };

        var (result, downstream, log) = await RunAsync(options, ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal(StreamBlockReason.BufferLimitExceeded, result.BlockReason);
        Assert.Equal(StreamFault.BufferLimitExceeded, Assert.Single(log.Checks).Check.Fault);
        Assert.Empty(ReleasedText(downstream.Bytes));
        Assert.True(log.Reads < ChatStreams.PerEvent(body).Length);
    }

    [Fact]
    public async Task RunAsync_BufferLimitFailOpen_ReleasesAndContinuesAsMonitor()
    {
        var body = ChatStreams.Chat(ChatStreams.Words(SafeText + " bomb " + SafeText));
        var options = new StreamModerationOptions { Mode = StreamingMode.Buffer, MaxEventBytes = 512, MaxBufferedBytes = 1024 };
        var log = new StreamLog();

        var (result, downstream) = await RunWithAsync(options, ChatStreams.PerEvent(body), log, new KeywordCheck(log) { BlockFaults = false });

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.True(result.FailedOpen);
        Assert.NotEmpty(result.Flags);
        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_ClientCancels_StopsCleanly()
    {
        var log = new StreamLog();
        var upstream = new ScriptedUpstream(ChatStreams.OneChunk(ChatStreams.Event(ChatStreams.ChunkJson(0, content: "held"))), log) { HangAtEnd = true };
        using var downstream = new RecordingDownstream(log);
        using var cancellation = new CancellationTokenSource();
        var check = new KeywordCheck(log);

        var run = new StreamModerator(new StreamModerationOptions()).RunAsync(upstream, downstream, check.CheckAsync, cancellation.Token);
        await upstream.Hanging.Task;
        await cancellation.CancelAsync();
        var result = await run;

        Assert.Equal(StreamModerationOutcome.ClientAborted, result.Outcome);
        Assert.Empty(downstream.Bytes);
        Assert.Empty(log.Checks);
    }

    [Fact]
    public async Task RunAsync_ClientConnectionFails_ClientAborted()
    {
        var log = new StreamLog();
        var upstream = new ScriptedUpstream(ChatStreams.OneChunk(ChatStreams.Chat(["Hi"])), log);
        using var downstream = new RecordingDownstream(log) { FailWrites = true };

        var result = await new StreamModerator(new StreamModerationOptions()).RunAsync(upstream, downstream, new KeywordCheck(log).CheckAsync, CancellationToken.None);

        Assert.Equal(StreamModerationOutcome.ClientAborted, result.Outcome);
    }

    [Fact]
    public async Task RunAsync_TriggerInToolCallArguments_Blocked()
    {
        var body = new StringBuilder()
            .Append(ChatStreams.Event("""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"order","arguments":""}}]}}]}"""))
            .Append(ChatStreams.Event("""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"item\":\"bo"}}]}}]}"""))
            .Append(ChatStreams.Event("""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"mb\"}"}}]}}]}"""))
            .Append(ChatStreams.Event("""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"""))
            .Append(ChatStreams.Event("[DONE]"))
            .ToString();

        var (result, downstream, log) = await RunAsync(new StreamModerationOptions(), ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal("[tool_call order]\n{\"item\":\"bomb\"}", log.Checks.Single().Check.Text);
        Assert.DoesNotContain("call_1", downstream.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_LegacyCompletionBlocked_FilterChunkInTextCompletionShape()
    {
        var body = new StringBuilder()
            .Append(ChatStreams.Event("""{"id":"cmpl-7","object":"text_completion","created":5,"model":"davinci","choices":[{"text":"a bomb","index":0,"logprobs":null,"finish_reason":null}]}"""))
            .Append(ChatStreams.Event("[DONE]"))
            .ToString();

        var (result, downstream, _) = await RunAsync(new StreamModerationOptions(), ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal(TestFiles.Golden("streaming/legacy-block.sse"), downstream.Text);
    }

    [Fact]
    public async Task RunAsync_CrLfStream_ByteIdentical()
    {
        var body = ChatStreams.Chat(ChatStreams.Words(SafeText), newline: "\r\n");

        var (result, downstream, _) = await RunAsync(SmallWindow, ChatStreams.RandomChunks(body, seed: 11, maxChunk: 7));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_OneChunkWithTwoChoices_EachChoiceCheckedOnItsOwn()
    {
        var body = ChatStreams.Event("""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"left bo"}},{"index":1,"delta":{"content":"mb right"}}]}""")
            + ChatStreams.Event("[DONE]");

        var (result, downstream, log) = await RunAsync(new StreamModerationOptions(), ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(["left bo", "mb right"], log.Checks.Select(c => c.Check.Text));
        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_MonitorModeUnreadableChunk_ForwardedAndCountedWithoutAsking()
    {
        var body = "data: {oops\n\n" + ChatStreams.Chat(["Hi"]);

        var (result, downstream, log) = await RunAsync(new StreamModerationOptions { Mode = StreamingMode.Monitor }, ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(1, result.UnreadableChunks);
        Assert.DoesNotContain(log.Checks, c => c.Check.Fault is not null);
        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_BackendErrorEvent_ForwardedInPlaceAndCounted()
    {
        var body = ChatStreams.Event(ChatStreams.ChunkJson(0, content: "Hi")) + ChatStreams.Event("""{"error":{"message":"overloaded"}}""");

        var (result, downstream, _) = await RunAsync(new StreamModerationOptions(), ChatStreams.OneChunk(body));

        Assert.Equal(1, result.ErrorEvents);
        Assert.Equal(StreamModerationOutcome.UpstreamTruncated, result.Outcome);
        Assert.Equal(body, downstream.Text);
    }

    [Fact]
    public async Task RunAsync_CheckThrows_ExceptionPropagates()
    {
        var log = new StreamLog();
        var upstream = new ScriptedUpstream(ChatStreams.OneChunk(ChatStreams.Chat(["Hi"])), log);
        using var downstream = new RecordingDownstream(log);

        await Assert.ThrowsAsync<InvalidOperationException>(() => new StreamModerator(new StreamModerationOptions()).RunAsync(
            upstream, downstream, (_, _) => throw new InvalidOperationException("classifier bug"), CancellationToken.None));
        Assert.Empty(ReleasedText(downstream.Bytes));
    }

    [Fact]
    public async Task RunAsync_TextAfterRetentionLimit_FullTextKeepsUncheckedText()
    {
        var pieces = Enumerable.Range(0, 40).Select(i => $"piece {i:D2} ").ToList();
        var options = new StreamModerationOptions { WindowChars = 20, OverlapChars = 5, MaxRetainedChars = 40 };

        var (result, _, log) = await RunAsync(options, ChatStreams.PerEvent(ChatStreams.Chat(pieces)));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        var last = log.Checks.Last().Check;
        Assert.True(last.FullTextStart > 0);
        Assert.EndsWith("piece 39 ", last.FullText, StringComparison.Ordinal);
        Assert.True(last.TextStart >= last.FullTextStart);
        Assert.EndsWith(last.Text, last.FullText, StringComparison.Ordinal);
    }

    public static TheoryData<StreamProtocol, int> ProtocolsAndSeeds()
    {
        var data = new TheoryData<StreamProtocol, int>();
        foreach (var protocol in Enum.GetValues<StreamProtocol>())
        {
            for (var seed = 0; seed < 20; seed++)
            {
                data.Add(protocol, seed);
            }
        }

        return data;
    }

    // What the client had received when a check first blocked (after that only the dialect's own ending is written).
    internal static byte[] ReleasedBeforeTheBlock(StreamLog log) =>
        log.Entries.TakeWhile(e => e is not StreamLog.CheckCall { Blocked: true }).OfType<StreamLog.DownstreamWrite>().SelectMany(w => w.Bytes).ToArray();

    private static string TwoChoices(string first, string second)
    {
        var text = new StringBuilder();
        text.Append(ChatStreams.Event(ChatStreams.ChunkJson(0, content: "", role: "assistant")));
        text.Append(ChatStreams.Event(ChatStreams.ChunkJson(1, content: "", role: "assistant")));
        var a = ChatStreams.Words(first).ToList();
        var b = ChatStreams.Words(second).ToList();
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            if (i < a.Count)
            {
                text.Append(ChatStreams.Event(ChatStreams.ChunkJson(0, content: a[i])));
            }

            if (i < b.Count)
            {
                text.Append(ChatStreams.Event(ChatStreams.ChunkJson(1, content: b[i])));
            }
        }

        text.Append(ChatStreams.Event(ChatStreams.ChunkJson(0, finish: "stop")));
        text.Append(ChatStreams.Event(ChatStreams.ChunkJson(1, finish: "stop")));
        text.Append(ChatStreams.Event(ChatStreams.UsageJson()));
        text.Append(ChatStreams.Event("[DONE]"));
        return text.ToString();
    }

    private static async Task<(StreamModerationResult Result, RecordingDownstream Downstream, StreamLog Log)> RunAsync(
        StreamModerationOptions options, IReadOnlyList<byte[]> chunks)
    {
        var log = new StreamLog();
        return await RunAsync(options, new ScriptedUpstream(chunks, log), log);
    }

    private static async Task<(StreamModerationResult Result, RecordingDownstream Downstream, StreamLog Log)> RunAsync(
        StreamModerationOptions options, ScriptedUpstream upstream, StreamLog log)
    {
        var downstream = new RecordingDownstream(log);
        var result = await new StreamModerator(options).RunAsync(upstream, downstream, new KeywordCheck(log).CheckAsync, CancellationToken.None);
        return (result, downstream, log);
    }

    private static async Task<(StreamModerationResult Result, RecordingDownstream Downstream)> RunWithAsync(
        StreamModerationOptions options, IReadOnlyList<byte[]> chunks, StreamLog log, KeywordCheck check)
    {
        var downstream = new RecordingDownstream(log);
        var result = await new StreamModerator(options).RunAsync(new ScriptedUpstream(chunks, log), downstream, check.CheckAsync, CancellationToken.None);
        return (result, downstream);
    }

    // Replays the log: after every write, the text the client holds for each choice must lie inside the prefix
    // covered by checks that passed before that write, read by a fresh dialect of the stream's protocol. It stops at a
    // blocking check: what follows is the dialect's own ending (a Responses refusal carries the refusal text).
    internal static void AssertNoTextBeforeItsCheck(StreamLog log, StreamModerationOptions? options = null)
    {
        var covered = new Dictionary<int, long>();
        var parser = new SseParser();
        var dialect = StreamDialect.Create(options ?? new StreamModerationOptions());
        var transcripts = new Dictionary<int, ChoiceTranscript>();
        foreach (var entry in log.Entries)
        {
            if (entry is StreamLog.CheckCall { Blocked: true })
            {
                return;
            }

            if (entry is StreamLog.CheckCall { Blocked: false, Check.Fault: null } passed)
            {
                var before = covered.GetValueOrDefault(passed.Check.ChoiceIndex);
                Assert.True(passed.Check.TextStart <= before, "A check left a gap after the previous one.");
                covered[passed.Check.ChoiceIndex] = Math.Max(before, passed.End);
            }
            else if (entry is StreamLog.DownstreamWrite write)
            {
                var events = new List<SseEvent>();
                parser.Parse(write.Bytes, events);
                foreach (var sseEvent in events.Where(e => e.Data is not null && e.Data != "[DONE]"))
                {
                    foreach (var choice in ReadChunk(sseEvent, dialect).Choices)
                    {
                        if (!transcripts.TryGetValue(choice.Index, out var transcript))
                        {
                            transcripts[choice.Index] = transcript = new ChoiceTranscript(choice.Index, int.MaxValue);
                        }

                        transcript.Append(choice);
                    }
                }

                foreach (var (index, transcript) in transcripts)
                {
                    Assert.True(
                        transcript.Length <= covered.GetValueOrDefault(index),
                        $"Choice {index}: {transcript.Length} characters released, {covered.GetValueOrDefault(index)} checked.");
                }
            }
        }
    }

    private static List<SseEvent> Parse(byte[] bytes)
    {
        var parser = new SseParser();
        var events = new List<SseEvent>();
        parser.Parse(bytes, events);
        Assert.Equal(0, parser.Complete(events));
        return events;
    }

    private static ChatStreamChunk ReadChunk(SseEvent sseEvent) => ReadChunk(sseEvent, new ChatStreamDialect());

    private static ChatStreamChunk ReadChunk(SseEvent sseEvent, StreamDialect dialect) =>
        dialect.Read(sseEvent, out _) ?? throw new InvalidOperationException("unreadable: " + sseEvent.Data);

    // The text per choice that the bytes carry.
    internal static Dictionary<int, string> ReleasedText(byte[] bytes, StreamModerationOptions? options = null)
    {
        var dialect = StreamDialect.Create(options ?? new StreamModerationOptions());
        var texts = new Dictionary<int, ChoiceTranscript>();
        var parser = new SseParser();
        var events = new List<SseEvent>();
        parser.Parse(bytes, events);
        foreach (var sseEvent in events.Where(e => e.Data is not null && e.Data != "[DONE]"))
        {
            foreach (var choice in ReadChunk(sseEvent, dialect).Choices)
            {
                if (!texts.TryGetValue(choice.Index, out var transcript))
                {
                    texts[choice.Index] = transcript = new ChoiceTranscript(choice.Index, int.MaxValue);
                }

                transcript.Append(choice);
            }
        }

        return texts.Where(p => p.Value.Length > 0).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    private static void AssertContentFilterChunk(SseEvent sseEvent, int[] indexes)
    {
        using var document = JsonDocument.Parse(sseEvent.Data!);
        var root = document.RootElement;
        Assert.Equal(ChatStreams.Id, root.GetProperty("id").GetString());
        Assert.Equal(ChatStreams.Model, root.GetProperty("model").GetString());
        Assert.Equal(ChatStreams.Created, root.GetProperty("created").GetInt64());
        var choices = root.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal(indexes, choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.All(choices, c => Assert.Equal("content_filter", c.GetProperty("finish_reason").GetString()));
        Assert.Equal(JsonValueKind.Object, root.GetProperty("guardrail").ValueKind);
    }
}
