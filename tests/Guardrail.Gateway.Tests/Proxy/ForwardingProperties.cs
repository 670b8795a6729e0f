using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CsCheck;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;

namespace Guardrail.Gateway.Tests.Proxy;

/// <summary>
/// "Respond: the backend's bytes" (ARCHITECTURE.md, step 8) and "forwarded means unchanged" (Core/Streaming README) as
/// properties through a real gateway on loopback: what the client sends is what the backend receives, and what the
/// backend answers is what the client reads, byte for byte, on a pass-through route and on a moderated route whose
/// checks pass (the keyword guard through llama.cpp), streamed or not. Requests and answers are written by hand, every
/// character in a form JSON allows chosen at random, keys in any order, odd whitespace, unknown fields and numbers no
/// serializer would write, so a gateway that parsed and re-serialized a body could not pass. CsCheck prints the
/// smallest failing case it finds and its seed; pass the seed as <c>seed:</c> to replay it.
/// </summary>
public sealed class ForwardingProperties : IClassFixture<ModerationFixture>, IAsyncLifetime
{
    // Each iteration is a round trip through the gateway (and, moderated, two classifier checks): a few dozen keep
    // the class well under a minute on a loaded machine.
    private const int Iterations = 40;

    // RFC 9110 tchar: a header value made of these needs no quoting and no trimming.
    private const string TokenChars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly string[] Numbers = ["0", "-0", "1E+2", "-1.50e-007", "123456789012345678901234567890", "3.14159265358979323846264338327950288"];

    private readonly ModerationFixture _fixture;
    private GatewayServer _passThrough = null!;
    private HttpClient _passThroughClient = null!;
    private HttpClient _moderatedClient = null!;

    public ForwardingProperties(ModerationFixture fixture) => _fixture = fixture;

    /// <summary>
    /// One generated round trip: the client's request body, the backend's answer, a header the backend sets, and the
    /// seed of where a streamed answer is cut into writes.
    /// </summary>
    public sealed record Exchange(string Request, string Answer, string HeaderName, string HeaderValue, int Chunking);

    /// <summary>One message: its role, its text parts, and whether content is a string or a parts array.</summary>
    public sealed record Message(string Role, string[] Parts, bool AsArray);

    /// <summary>A member no OpenAI schema knows: its name's text, its value's text, and the kind of value.</summary>
    public sealed record UnknownField(string Name, string Text, int Kind);

    public async Task InitializeAsync()
    {
        // The fixture's gateway moderates every chat path; the pass-through gateway forwards the same backend on a
        // route without Guardrail.Api metadata.
        _passThrough = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(_fixture.Backend.BaseAddress));
        _passThroughClient = _passThrough.CreateClient();
        _moderatedClient = _fixture.Gateway.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _moderatedClient.Dispose();
        _passThroughClient.Dispose();
        await _passThrough.DisposeAsync();
    }

    [Fact]
    public Task PassThrough_AnyChatExchange_BothBodiesAndTheBackendsHeaderArriveUnchanged() =>
        Exchanges(HostileText.Any(hugeChars: 20_000), stream: false).SampleAsync(
            exchange => AssertForwardedUnchangedAsync(_passThroughClient, "/v1/chat/completions", exchange, moderated: false),
            iter: Iterations,
            threads: 1);

    [Fact]
    public Task Moderated_AllowedChatExchange_BothBodiesAndTheBackendsHeaderArriveUnchanged() =>
        Exchanges(AllowedText, stream: false).SampleAsync(
            exchange => AssertForwardedUnchangedAsync(_moderatedClient, "/v1/chat/completions", exchange, moderated: true),
            iter: Iterations,
            threads: 1);

    /// <summary>
    /// The default policy's window mode releases a safe stream byte for byte (the Streaming README's one exception,
    /// comment-only keep-alives moved ahead of held events, is left out: the backend sends none).
    /// </summary>
    [Fact]
    public Task Moderated_AllowedChatStream_ClientGetsTheBackendsBytes() =>
        Exchanges(AllowedText, stream: true).SampleAsync(
            exchange => AssertForwardedUnchangedAsync(_moderatedClient, "/v1/chat/stream", exchange, moderated: true),
            iter: Iterations,
            threads: 1);

    /// <summary>Text the keyword guard lets through: its triggers are "bomb" and "violin" (<see cref="ModerationFixture"/>), in any case, inside words too.</summary>
    private static Gen<string> AllowedText { get; } = HostileText.Short.Where(text =>
        !text.Contains("bomb", StringComparison.OrdinalIgnoreCase) && !text.Contains("violin", StringComparison.OrdinalIgnoreCase));

    private async Task AssertForwardedUnchangedAsync(HttpClient client, string path, Exchange exchange, bool moderated)
    {
        var backend = _fixture.Backend;
        backend.Reset();
        if (path.EndsWith("/stream", StringComparison.Ordinal))
        {
            backend.StreamEvents = Chunks(exchange.Answer, exchange.Chunking);
        }
        else
        {
            backend.ChatResponseJson = exchange.Answer;
        }

        backend.ResponseHeaders = new Dictionary<string, string> { [exchange.HeaderName] = exchange.HeaderValue };
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(exchange.Request));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        var received = await response.Content.ReadAsByteArrayAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"HTTP {(int)response.StatusCode}: {Encoding.UTF8.GetString(received)}");
        Assert.Equal(Encoding.UTF8.GetBytes(exchange.Request), Assert.Single(backend.Requests).Body);
        Assert.Equal(Encoding.UTF8.GetBytes(exchange.Answer), received);
        Assert.Equal(exchange.HeaderValue, Assert.Single(response.Headers.GetValues(exchange.HeaderName)));
        Assert.Equal(moderated, response.Headers.Contains("x-guardrail-decision-id"));
    }

    /// <summary>Requests ending with a user turn and answers of one or two choices, their texts from <paramref name="text"/>.</summary>
    private static Gen<Exchange> Exchanges(Gen<string> text, bool stream)
    {
        var messages = Gen.Select(
            Gen.Frequency((1, Gen.Const("system")), (3, Gen.Const("user")), (2, Gen.Const("assistant"))),
            text.Array[1, 2],
            Gen.Bool,
            (role, parts, asArray) => new Message(role, asArray ? parts : parts[..1], asArray));
        var conversation = Gen.Select(messages.Array[0, 2], text, (earlier, last) => (Message[])[.. earlier, new Message("user", [last], AsArray: false)]);
        var unknown = Gen.Select(text, text, Gen.Int[0, 3], (name, value, kind) => new UnknownField(name, value, kind)).Array[0, 3];
        var header = Gen.Select(
            Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"].Array[1, 12].Select(c => "x-probe-" + new string(c)),
            Gen.Char[TokenChars].Array[1, 40].Select(c => new string(c)));
        return Gen.Select(conversation, unknown, text.Array[1, stream ? 6 : 2], unknown, header, Gen.Int, Gen.Int, (sent, sentUnknown, answer, answerUnknown, h, spelling, chunking) =>
        {
            var random = new Random(spelling);
            var request = ChatRequest(sent, sentUnknown, stream, random);
            var backendAnswer = stream ? ChatStream(answer, answerUnknown, random) : ChatAnswer(answer, answerUnknown, random);
            return new Exchange(request, backendAnswer, h.Item1, h.Item2, chunking);
        });
    }

    private static string ChatRequest(Message[] messages, UnknownField[] unknown, bool stream, Random random)
    {
        var members = new List<(string, string)>
        {
            ("model", HostileText.JsonString("llama-3-8b", random)),
            ("messages", HostileText.JsonArray(messages.Select(m => HostileText.JsonObject(random, ("role", HostileText.JsonString(m.Role, random)), ("content", Content(m, random)))), random)),
        };
        if (stream)
        {
            members.Add(("stream", "true"));
        }

        return HostileText.JsonObject(random, [.. members, .. Unknown(unknown, random)]);
    }

    private static string Content(Message message, Random random) => message.AsArray
        ? HostileText.JsonArray(message.Parts.Select(p => HostileText.JsonObject(random, ("type", HostileText.JsonString("text", random)), ("text", HostileText.JsonString(p, random)))), random)
        : HostileText.JsonString(message.Parts[0], random);

    private static string ChatAnswer(string[] contents, UnknownField[] unknown, Random random) => HostileText.JsonObject(
        random,
        [
            .. Envelope("chat.completion", random),
            ("choices", HostileText.JsonArray(contents.Select((c, i) => HostileText.JsonObject(
                random,
                ("index", i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("message", HostileText.JsonObject(random, ("role", HostileText.JsonString("assistant", random)), ("content", HostileText.JsonString(c, random)))),
                ("logprobs", "null"),
                ("finish_reason", HostileText.JsonString("stop", random)))), random)),
            ("usage", Usage(random)),
            .. Unknown(unknown, random),
        ]);

    /// <summary>A chat stream of <paramref name="pieces"/> as SSE text, each event ended by LF, CRLF or CR pairs.</summary>
    private static string ChatStream(string[] pieces, UnknownField[] unknown, Random random)
    {
        string Chunk(string delta, string finishReason, params (string, string)[] extra) => HostileText.JsonObject(
            random,
            [
                .. Envelope("chat.completion.chunk", random),
                ("choices", HostileText.JsonArray([HostileText.JsonObject(random, ("index", "0"), ("delta", delta), ("finish_reason", finishReason))], random)),
                .. extra,
            ]);

        var events = new StringBuilder();
        events.Append(Event(Chunk(HostileText.JsonObject(random, ("role", HostileText.JsonString("assistant", random)), ("content", HostileText.JsonString("", random))), "null"), random));
        foreach (var piece in pieces)
        {
            events.Append(Event(Chunk(HostileText.JsonObject(random, ("content", HostileText.JsonString(piece, random))), "null", Unknown(unknown, random)), random));
        }

        events.Append(Event(Chunk("{}", HostileText.JsonString("stop", random)), random));
        if (random.Next(2) == 0)
        {
            events.Append(Event(HostileText.JsonObject(random, [.. Envelope("chat.completion.chunk", random), ("choices", "[]"), ("usage", Usage(random))]), random));
        }

        return events.Append(Event("[DONE]", random)).ToString();
    }

    /// <summary>
    /// One SSE event of <paramref name="data"/>. JSON's whitespace may hold line breaks, which in SSE end the data line:
    /// each run of them becomes a space or a new <c>data:</c> line (the reader joins data lines with a line feed,
    /// JSON whitespace again). JSON strings hold no raw line breaks: <see cref="HostileText.JsonString"/> escapes them.
    /// </summary>
    private static string Event(string data, Random random)
    {
        var end = random.Next(3) switch { 0 => "\n", 1 => "\r\n", _ => "\r" };
        var field = random.Next(2) == 0 ? "data: " : "data:";
        var sse = new StringBuilder(field);
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] is not ('\r' or '\n'))
            {
                sse.Append(data[i]);
                continue;
            }

            while (i + 1 < data.Length && data[i + 1] is '\r' or '\n')
            {
                i++;
            }

            sse.Append(random.Next(2) == 0 ? " " : end + field);
        }

        return sse.Append(end).Append(end).ToString();
    }

    private static (string, string)[] Envelope(string type, Random random) =>
    [
        ("id", HostileText.JsonString("chatcmpl-" + random.Next(1000), random)),
        ("object", HostileText.JsonString(type, random)),
        ("created", "1700000000"),
        ("model", HostileText.JsonString("llama-3-8b", random)),
    ];

    private static string Usage(Random random) =>
        HostileText.JsonObject(random, ("prompt_tokens", "5"), ("completion_tokens", "6"), ("total_tokens", "11"));

    // Names start with x_<index>_ so that no unknown member repeats another or spells a known one.
    private static (string, string)[] Unknown(UnknownField[] fields, Random random) =>
    [
        .. fields.Select((f, i) => ($"x_{i}_{f.Name}", f.Kind switch
        {
            0 => HostileText.JsonString(f.Text, random),
            1 => Numbers[random.Next(Numbers.Length)],
            2 => HostileText.JsonArray(["true", "false", "null", HostileText.JsonString(f.Text, random)], random),
            _ => HostileText.JsonObject(random, ("text", HostileText.JsonString(f.Text, random)), ("number", Numbers[random.Next(Numbers.Length)])),
        })),
    ];

    /// <summary><paramref name="body"/> cut at random places between whole characters, each piece one write and flush of the backend.</summary>
    private static List<string> Chunks(string body, int seed)
    {
        var random = new Random(seed);
        var chunks = new List<string>();
        var start = 0;
        while (start < body.Length)
        {
            var end = Math.Min(body.Length, start + random.Next(1, 200));
            if (end < body.Length && char.IsLowSurrogate(body[end]))
            {
                end++;
            }

            chunks.Add(body[start..end]);
            start = end;
        }

        return chunks;
    }
}
