using System.Text;
using Guardrail.Streaming;

namespace Guardrail.Core.Tests.Streaming;

public sealed class SseParserTests
{
    // Every line ending, a BOM, comments, multi-line data, all fields, and multi-byte UTF-8 (2, 3 and 4 bytes).
    private const string Sample =
        "\uFEFF: keep-alive\r\n\r\n" +
        "event: message\nid: 7\nretry: 1500\ndata: {\"content\":\"été\"}\n\n" +
        "data: line one\rdata: line two 🚀\r\r" +
        "data: 日本語 emoji 😀 end\r\n\r\n" +
        ":ping\n\n" +
        "data: [DONE]\n\n";

    [Fact]
    public void Parse_LfCrlfAndCrLineEndings_GiveTheSameEvents()
    {
        var lf = ParseAll("data: a\ndata: b\n\nevent: x\ndata: c\n\n");
        var crlf = ParseAll("data: a\r\ndata: b\r\n\r\nevent: x\r\ndata: c\r\n\r\n");
        var cr = ParseAll("data: a\rdata: b\r\revent: x\rdata: c\r\r");

        foreach (var events in new[] { lf, crlf, cr })
        {
            Assert.Equal(2, events.Count);
            Assert.Equal("a\nb", events[0].Data);
            Assert.Equal("x", events[1].EventType);
            Assert.Equal("c", events[1].Data);
        }
    }

    [Fact]
    public void Parse_MultiLineData_JoinedWithLineFeed()
    {
        var events = ParseAll("data: first\ndata:second\ndata:  third\n\n");

        // Only one space after the colon is removed.
        Assert.Equal("first\nsecond\n third", Assert.Single(events).Data);
    }

    [Fact]
    public void Parse_DataWithEmptyValue_GivesEmptyDataNotNull()
    {
        var events = ParseAll("data\n\ndata:\n\n");

        Assert.Equal(["", ""], events.Select(e => e.Data));
    }

    [Fact]
    public void Parse_CommentOnlyEvent_HasCommentsAndNoFields()
    {
        var sseEvent = Assert.Single(ParseAll(": keep-alive\n:x\n\n"));

        Assert.Null(sseEvent.Data);
        Assert.True(sseEvent.IsContentFree);
        Assert.Equal([" keep-alive", "x"], sseEvent.Comments);
    }

    [Fact]
    public void Parse_Fields_ReadPerSpecAndInvalidOnesIgnored()
    {
        var events = ParseAll("event: delta\nid: 12\nretry: 3000\nfoo: bar\ndata: x\n\nretry: 12a\nid: a\0b\ndata: y\n\n");

        Assert.Equal("delta", events[0].EventType);
        Assert.Equal("12", events[0].Id);
        Assert.Equal(3000, events[0].Retry);
        Assert.True(events[0].HasOtherFields);
        Assert.Null(events[1].Retry);
        Assert.Null(events[1].Id);
        Assert.Null(events[1].EventType);
    }

    [Fact]
    public void Parse_LeadingByteOrderMark_IgnoredButKeptInRawBytes()
    {
        var bytes = Encoding.UTF8.GetBytes("\uFEFFdata: x\n\n");
        var events = new List<SseEvent>();

        new SseParser().Parse(bytes, events);

        Assert.Equal("x", Assert.Single(events).Data);
        Assert.Equal(bytes, events[0].Raw.ToArray());
    }

    [Fact]
    public void Parse_ByteOrderMarkNotAtStreamStart_IsPartOfTheFieldName()
    {
        var events = ParseAll("data: a\n\n\uFEFFdata: b\n\n");

        Assert.Null(events[1].Data);
        Assert.True(events[1].HasOtherFields);
    }

    [Fact]
    public void Parse_SplitAtEveryBytePosition_GivesIdenticalEvents()
    {
        var bytes = Encoding.UTF8.GetBytes(Sample);
        var expected = Describe(ParseChunks([bytes]));
        Assert.Equal(6, expected.Count);

        for (var split = 0; split <= bytes.Length; split++)
        {
            Assert.Equal(expected, Describe(ParseChunks([bytes[..split], bytes[split..]])));
        }

        for (var split = 1; split < bytes.Length - 1; split++)
        {
            Assert.Equal(expected, Describe(ParseChunks([bytes[..1], bytes[1..split], bytes[split..]])));
        }

        Assert.Equal(expected, Describe(ParseChunks(bytes.Select(b => new[] { b }).ToArray())));
    }

    [Fact]
    public void Parse_SampleStream_DecodesMultiByteCharacters()
    {
        var events = ParseChunks([Encoding.UTF8.GetBytes(Sample)]);

        Assert.Equal("{\"content\":\"été\"}", events[1].Data);
        Assert.Equal("7", events[1].Id);
        Assert.Equal(1500, events[1].Retry);
        Assert.Equal("line one\nline two 🚀", events[2].Data);
        Assert.Equal("日本語 emoji 😀 end", events[3].Data);
        Assert.Equal("[DONE]", events[5].Data);
    }

    [Fact]
    public void Parse_RawBytesOfAllEvents_ConcatenateToTheInput()
    {
        var bytes = Encoding.UTF8.GetBytes(Sample);

        for (var split = 0; split <= bytes.Length; split++)
        {
            var events = ParseChunks([bytes[..split], bytes[split..]]);
            Assert.Equal(bytes, events.SelectMany(e => e.Raw.ToArray()).ToArray());
        }
    }

    [Fact]
    public void Parse_BlankLineEndedByCarriageReturnAtChunkEnd_WaitsForTheNextByte()
    {
        var parser = new SseParser();
        var events = new List<SseEvent>();

        parser.Parse("data: x\r\r"u8, events);
        Assert.Empty(events);

        parser.Parse("\ndata: y\n\n"u8, events);

        Assert.Equal("data: x\r\r\n"u8.ToArray(), events[0].Raw.ToArray());
        Assert.Equal("x", events[0].Data);

        // The LF after the CR ended the blank line; it is not a second blank line.
        Assert.Equal("y", events[1].Data);
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void Complete_EventEndedByCarriageReturn_IsHandedOut()
    {
        var parser = new SseParser();
        var events = new List<SseEvent>();
        parser.Parse("data: x\r\r"u8, events);

        var discarded = parser.Complete(events);

        Assert.Equal(0, discarded);
        Assert.Equal("x", Assert.Single(events).Data);
    }

    [Fact]
    public void Complete_UnterminatedEvent_IsDiscardedAndCounted()
    {
        var parser = new SseParser();
        var events = new List<SseEvent>();
        parser.Parse("data: a\n\ndata: partial\n"u8, events);

        var discarded = parser.Complete(events);

        Assert.Equal("a", Assert.Single(events).Data);
        Assert.Equal("data: partial\n".Length, discarded);
    }

    [Fact]
    public void Parse_EventOverTheLimit_Throws()
    {
        var parser = new SseParser(maxEventBytes: 32);
        var events = new List<SseEvent>();
        parser.Parse("data: short\n\n"u8, events);

        // Many short lines: the event grows past the limit although no single line does.
        var exception = Assert.Throws<SseFormatException>(() => parser.Parse("data: 0123456789\ndata: 0123456789\n"u8, events));

        Assert.Contains("32 bytes", exception.Message, StringComparison.Ordinal);
        Assert.Single(events);
    }

    [Fact]
    public void Parse_LineOverTheLimitWithoutLineEnd_Throws()
    {
        var parser = new SseParser(maxEventBytes: 16);
        var events = new List<SseEvent>();
        parser.Parse("data: 0123456"u8, events);

        Assert.Throws<SseFormatException>(() => parser.Parse("789abcdef"u8, events));
    }

    [Fact]
    public void Parse_EventExactlyAtTheLimit_IsAccepted()
    {
        var events = new List<SseEvent>();

        new SseParser(maxEventBytes: 9).Parse("data: x\n\n"u8, events);

        Assert.Equal("x", Assert.Single(events).Data);
    }

    private static List<SseEvent> ParseAll(string text) => ParseChunks([Encoding.UTF8.GetBytes(text)]);

    private static List<SseEvent> ParseChunks(IEnumerable<byte[]> chunks)
    {
        var parser = new SseParser();
        var events = new List<SseEvent>();
        foreach (var chunk in chunks)
        {
            parser.Parse(chunk, events);
        }

        Assert.Equal(0, parser.Complete(events));
        return events;
    }

    private static List<string> Describe(IEnumerable<SseEvent> events) => events
        .Select(e => string.Join(
            "|",
            e.Data ?? "<null>",
            e.EventType ?? "<null>",
            e.Id ?? "<null>",
            e.Retry?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "<null>",
            string.Join(",", e.Comments),
            Convert.ToHexString(e.Raw.Span)))
        .ToList();
}
