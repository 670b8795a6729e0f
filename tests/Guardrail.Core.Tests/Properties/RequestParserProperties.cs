using System.Text;
using CsCheck;
using Guardrail.Conversations;
using Guardrail.OpenAI;

namespace Guardrail.Core.Tests.Properties;

/// <summary>
/// What the request parser promises the classifier: the strings a client put in, exactly (content, roles, order),
/// however the JSON escaped them and whatever whitespace surrounds them. The requests are written by hand, each
/// character in a form JSON allows chosen at random, so the parser never sees what System.Text.Json would write.
/// CsCheck prints the seed of a failing case; pass it as <c>seed:</c> to replay it.
/// </summary>
public sealed class RequestParserProperties
{
    private const int Iterations = 300;

    /// <summary>One message as generated: its role, its text parts, and whether content is a string or a parts array.</summary>
    public sealed record Message(string Role, string[] Parts, bool AsArray);

    private static readonly Gen<Message> Messages = Gen.Select(
        Gen.Frequency((1, Gen.Const("system")), (4, Gen.Const("user")), (3, Gen.Const("assistant"))),
        HostileText.Any(hugeChars: 20_000).Array[1, 3],
        Gen.Bool,
        (role, parts, asArray) => new Message(role, asArray ? parts : parts[..1], asArray));

    /// <summary>A conversation with at least one user message, and the seed of its JSON's spelling.</summary>
    private static readonly Gen<(Message[] Messages, int Spelling)> Conversations = Gen.Select(
        Messages.Array[0, 6],
        HostileText.Short.Array[1, 2],
        Gen.Int[0, 5],
        Gen.Int,
        (messages, user, at, spelling) =>
        {
            var all = messages.ToList();
            all.Insert(Math.Min(at, all.Count), new Message("user", user, user.Length > 1));
            return (all.ToArray(), spelling);
        });

    [Fact]
    public void ChatCompletions_TurnsAreExactlyTheMessagesSent() => AssertTurnsAreExactlyTheMessagesSent(ChatBody, OpenAIApi.ChatCompletions);

    [Fact]
    public void Responses_TurnsAreExactlyTheInputItemsSent() => AssertTurnsAreExactlyTheMessagesSent(ResponsesBody, OpenAIApi.Responses);

    [Fact]
    public void Completions_EachPromptIsOneUserTurnOfExactlyItsText() =>
        Gen.Select(HostileText.Any(hugeChars: 20_000).Array[1, 5], Gen.Int).Sample(
            (prompts, spelling) =>
            {
                var random = new Random(spelling);
                var promptJson = prompts.Length == 1 && random.Next(2) == 0
                    ? HostileText.JsonString(prompts[0], random)
                    : HostileText.JsonArray(prompts.Select(p => HostileText.JsonString(p, random)), random);
                var body = HostileText.JsonObject(random, ("model", HostileText.JsonString("m", random)), ("prompt", promptJson));

                var parsed = OpenAIRequestParser.Parse(Encoding.UTF8.GetBytes(body), OpenAIApi.Completions);

                Assert.Null(parsed.Error);
                Assert.Equal(prompts, parsed.Request!.Conversations.Select(c => Assert.IsType<TextPart>(Assert.Single(Assert.Single(c.Turns).Parts)).Text));
            },
            iter: Iterations,
            threads: 1);

    /// <summary>The property of both message APIs: a body <paramref name="write"/> spells parses to exactly its messages.</summary>
    private static void AssertTurnsAreExactlyTheMessagesSent(Func<Message[], Random, string> write, OpenAIApi api) =>
        Conversations.Sample(
            (messages, spelling) =>
            {
                var body = write(messages, new Random(spelling));

                var parsed = OpenAIRequestParser.Parse(Encoding.UTF8.GetBytes(body), api);

                Assert.Null(parsed.Error);
                var conversation = Assert.Single(parsed.Request!.Conversations);
                Assert.Equal(Expected(messages, assistantJoinsParts: true), Actual(conversation));
                Assert.Equal(messages.Where(m => m.Role == "system").Select(m => string.Concat(m.Parts)), conversation.SystemMessages);
            },
            iter: Iterations,
            threads: 1);

    /// <summary>The turns the parser should build: system messages aside, consecutive turns of one role merged,
    /// each user part its own piece, an assistant message's parts joined by line feeds into one.</summary>
    private static List<(ConversationRole Role, string Text)> Expected(Message[] messages, bool assistantJoinsParts)
    {
        var turns = new List<(ConversationRole, string)>();
        foreach (var message in messages)
        {
            switch (message.Role)
            {
                case "user":
                    turns.AddRange(message.Parts.Select(p => (ConversationRole.User, p)));
                    break;
                case "assistant":
                    turns.Add((ConversationRole.Assistant, assistantJoinsParts ? string.Join('\n', message.Parts) : message.Parts[0]));
                    break;
            }
        }

        return turns;
    }

    private static List<(ConversationRole Role, string Text)> Actual(Conversation conversation) =>
        [.. conversation.Turns.SelectMany(t => t.Parts.Select(p => (t.Role, Assert.IsType<TextPart>(p).Text)))];

    private static string ChatBody(Message[] messages, Random random) => Body(messages, "messages", static _ => "text", random);

    private static string ResponsesBody(Message[] messages, Random random) =>
        Body(messages, "input", static m => m.Role == "assistant" ? "output_text" : "input_text", random);

    /// <summary>A request with <paramref name="messages"/> as its <paramref name="listName"/>, each text part of the type <paramref name="partType"/> gives.</summary>
    private static string Body(Message[] messages, string listName, Func<Message, string> partType, Random random) => HostileText.JsonObject(
        random,
        ("model", HostileText.JsonString("llama-3-8b", random)),
        (listName, HostileText.JsonArray(messages.Select(m => HostileText.JsonObject(
            random,
            ("role", HostileText.JsonString(m.Role, random)),
            ("content", Content(m, partType(m), random)))), random)));

    private static string Content(Message message, string partType, Random random) => message.AsArray
        ? HostileText.JsonArray(message.Parts.Select(p => HostileText.JsonObject(random, ("type", HostileText.JsonString(partType, random)), ("text", HostileText.JsonString(p, random)))), random)
        : HostileText.JsonString(message.Parts[0], random);
}
