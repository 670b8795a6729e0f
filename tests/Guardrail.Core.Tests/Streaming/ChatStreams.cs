using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Guardrail.Core.Tests.Streaming;

/// <summary>Builds OpenAI-shaped SSE bodies and chunkings of them.</summary>
internal static class ChatStreams
{
    public const string Id = "chatcmpl-42";
    public const string Model = "test-model";
    public const long Created = 1700000000;

    public static string ChunkJson(int index, string? content = null, string? role = null, string? finish = null)
    {
        var delta = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (role is not null)
        {
            delta["role"] = role;
        }

        if (content is not null)
        {
            delta["content"] = content;
        }

        var choice = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["index"] = index,
            ["delta"] = delta,
            ["finish_reason"] = finish,
        };
        return JsonSerializer.Serialize(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["id"] = Id,
            ["object"] = "chat.completion.chunk",
            ["created"] = Created,
            ["model"] = Model,
            ["choices"] = new[] { choice },
        });
    }

    public static string Event(string data, string newline = "\n") => "data: " + data + newline + newline;

    /// <summary>A one-choice chat stream: role, one event per piece, finish, optional usage, [DONE].</summary>
    public static string Chat(IEnumerable<string> pieces, bool usage = false, string newline = "\n")
    {
        var text = new StringBuilder();
        text.Append(Event(ChunkJson(0, content: "", role: "assistant"), newline));
        foreach (var piece in pieces)
        {
            text.Append(Event(ChunkJson(0, content: piece), newline));
        }

        text.Append(Event(ChunkJson(0, finish: "stop"), newline));
        if (usage)
        {
            text.Append(Event(UsageJson(), newline));
        }

        text.Append(Event("[DONE]", newline));
        return text.ToString();
    }

    public static string UsageJson() => string.Create(
        CultureInfo.InvariantCulture,
        $"{{\"id\":\"{Id}\",\"object\":\"chat.completion.chunk\",\"created\":{Created},\"model\":\"{Model}\",\"choices\":[],\"usage\":{{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}}}");

    /// <summary>Splits text into words with their following space, like a model streams tokens.</summary>
    public static IEnumerable<string> Words(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ')
            {
                yield return text[start..(i + 1)];
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    public static byte[][] OneChunk(string body) => [Encoding.UTF8.GetBytes(body)];

    public static byte[][] RandomChunks(string body, int seed, int maxChunk = 40)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var random = new Random(seed);
        var chunks = new List<byte[]>();
        var at = 0;
        while (at < bytes.Length)
        {
            var size = Math.Min(random.Next(1, maxChunk + 1), bytes.Length - at);
            chunks.Add(bytes[at..(at + size)]);
            at += size;
        }

        return chunks.ToArray();
    }

    /// <summary>Splits at every event boundary, so each read brings exactly one event.</summary>
    public static byte[][] PerEvent(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => Encoding.UTF8.GetBytes(e + "\n\n")).ToArray();
}
