using System.Text.Json;
using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

/// <summary>The Responses API's events through the same window (random chunkings are in <see cref="StreamModeratorTests"/>).</summary>
public sealed class ResponsesStreamModeratorTests
{
    private static readonly StreamModerationOptions Options = new()
    {
        Protocol = StreamProtocol.Responses,
        WindowChars = 40,
        OverlapChars = 10,
        RefusalText = "Not with me.",
    };

    [Fact]
    public async Task RunAsync_TriggerMidStream_EndsWithTheRefusalAndResponseIncomplete()
    {
        var body = ResponsesStreams.Text(ChatStreams.Words("A harmless intro that goes on for quite a while. Then the bomb part, and more after."));

        var (result, downstream, log) = await RunAsync(Options, ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.DoesNotContain("bomb", downstream.Text, StringComparison.Ordinal);
        var events = Events(downstream.Bytes);
        var types = events.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(
            ["response.output_item.added", "response.content_part.added", "response.refusal.delta", "response.refusal.done", "response.content_part.done", "response.output_item.done", "response.incomplete"],
            types.TakeLast(7));
        var sequence = events.Select(e => e.GetProperty("sequence_number").GetInt64()).ToList();
        Assert.Equal(sequence.Order(), sequence);
        Assert.Equal(sequence.Count, sequence.Distinct().Count());

        var incomplete = events[^1];
        var response = incomplete.GetProperty("response");
        Assert.Equal(ResponsesStreams.Id, response.GetProperty("id").GetString());
        Assert.Equal("Be kind.", response.GetProperty("instructions").GetString());
        Assert.Equal("incomplete", response.GetProperty("status").GetString());
        Assert.Equal("content_filter", response.GetProperty("incomplete_details").GetProperty("reason").GetString());
        var part = Assert.Single(Assert.Single(response.GetProperty("output").EnumerateArray()).GetProperty("content").EnumerateArray());
        Assert.Equal("refusal", part.GetProperty("type").GetString());
        Assert.Equal("Not with me.", part.GetProperty("refusal").GetString());
        Assert.Equal("dec-1", incomplete.GetProperty("guardrail").GetProperty("decision_id").GetString());
        StreamModeratorTests.AssertNoTextBeforeItsCheck(log, Options);
    }

    [Fact]
    public async Task RunAsync_DoneTextContradictsTheDeltas_TheExtraTextIsCheckedBeforeRelease()
    {
        var body = ResponsesStreams.Text(["Hello ", "there."], doneText: "Hello there. Build a bomb.");

        var (result, downstream, log) = await RunAsync(Options with { WindowChars = 400 }, ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.DoesNotContain("bomb", downstream.Text, StringComparison.Ordinal);
        Assert.Contains(log.Checks, c => c.Blocked && c.Check.Text.Contains("Build a bomb.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_DoneEventsRepeatTheDeltas_NoTextCountedTwice()
    {
        var body = ResponsesStreams.Text(["Hello ", "there."]) + "data: [DONE]\n\n";

        var (result, downstream, log) = await RunAsync(Options, ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(body, downstream.Text);
        Assert.Equal("Hello there.", result.ChoiceTexts[0]);
        Assert.Equal("Hello there.", Assert.Single(log.Checks).Check.Text);
    }

    [Theory]
    [InlineData("""{"type":"response.future_text.delta","output_index":0,"delta":"a bomb"}""")]
    [InlineData("""{"type":"response.something_new","output_index":0,"delta":"a bomb"}""")]
    public async Task RunAsync_DeltaOfAnEventTypeNotKnownToday_IsCheckedAsText(string data)
    {
        var events = ResponsesStreams.Text(["Hello."]).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).ToList();
        events.Insert(4, "data: " + data);
        var body = string.Concat(events.Select(e => e + "\n\n"));

        var (result, downstream, _) = await RunAsync(Options, ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.DoesNotContain("bomb", downstream.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AudioDelta_IsNotText()
    {
        var events = ResponsesStreams.Text(["Hello."]).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).ToList();
        events.Insert(4, """data: {"type":"response.audio.delta","output_index":0,"delta":"Ym9tYg=="}""");
        var body = string.Concat(events.Select(e => e + "\n\n"));

        var (result, downstream, log) = await RunAsync(Options, ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Completed, result.Outcome);
        Assert.Equal(body, downstream.Text);
        Assert.Equal("Hello.", Assert.Single(log.Checks).Check.Text);
    }

    [Fact]
    public async Task RunAsync_TriggerInFunctionCallArguments_BlockedWithTheCallRendered()
    {
        var body = ResponsesStreams.FunctionCall("order", ["{\"item\":\"bo", "mb\"}"]);

        var (result, downstream, log) = await RunAsync(Options with { WindowChars = 400 }, ChatStreams.PerEvent(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal("[tool_call order]\n{\"item\":\"bomb\"}", log.Checks.Single().Check.Text);
        Assert.DoesNotContain("mb\\\"}", downstream.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":42}""")]
    [InlineData("""{"type":"response.output_text.delta","output_index":-1,"content_index":0,"delta":"x"}""")]
    [InlineData("""{"delta":"no type"}""")]
    [InlineData("""{"type":"response.completed","response":{"output":{"not":"an array"}}}""")]
    [InlineData("""[1,2]""")]
    public async Task RunAsync_UnreadableEvent_IsAFaultThePolicyDecides(string data)
    {
        var body = "data: " + data + "\n\n" + ResponsesStreams.Text(["Hi"]);

        var (result, downstream, _) = await RunAsync(Options, ChatStreams.OneChunk(body));

        Assert.Equal(StreamModerationOutcome.Blocked, result.Outcome);
        Assert.Equal(StreamBlockReason.UnreadableChunk, result.BlockReason);
        Assert.Equal("response.incomplete", Events(downstream.Bytes)[^1].GetProperty("type").GetString());
    }

    private static List<JsonElement> Events(byte[] bytes)
    {
        var parser = new SseParser();
        var events = new List<SseEvent>();
        parser.Parse(bytes, events);
        return events.Where(e => e.Data is not null && e.Data != "[DONE]").Select(e => JsonDocument.Parse(e.Data!).RootElement.Clone()).ToList();
    }

    private static async Task<(StreamModerationResult Result, RecordingDownstream Downstream, StreamLog Log)> RunAsync(StreamModerationOptions options, IReadOnlyList<byte[]> chunks)
    {
        var log = new StreamLog();
        var downstream = new RecordingDownstream(log);
        var result = await new StreamModerator(options).RunAsync(new ScriptedUpstream(chunks, log), downstream, new KeywordCheck(log).CheckAsync, CancellationToken.None);
        return (result, downstream, log);
    }
}
