using System.Text.Json;

namespace Guardrail.Streaming;

/// <summary>
/// What every dialect does with an event's <c>data</c> before it reads its meaning: <c>[DONE]</c> is the end, anything
/// else must be one JSON value of the shape the dialect reads, and data that is neither comes back as an error for the
/// policy to decide, never as an exception.
/// </summary>
internal static class StreamEventJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    /// <summary>
    /// Reads <paramref name="data"/> with <paramref name="readRoot"/>, which throws <see cref="StreamEventFormatException"/>
    /// for JSON of the wrong shape; on failure returns null and says why in <paramref name="error"/>.
    /// </summary>
    public static ChatStreamChunk? Read(string data, Func<JsonElement, ChatStreamChunk> readRoot, out string? error)
    {
        error = null;
        if (data.AsSpan().Trim().SequenceEqual("[DONE]"))
        {
            return ChatStreamChunk.Done;
        }

        try
        {
            using var document = JsonDocument.Parse(data, DocumentOptions);
            return readRoot(document.RootElement);
        }
        catch (JsonException e)
        {
            error = "not JSON: " + e.Message;
        }
        catch (StreamEventFormatException e)
        {
            error = e.Message;
        }

        return null;
    }

    /// <summary>The string <paramref name="name"/> of <paramref name="element"/>; null when it is absent or null.</summary>
    /// <exception cref="StreamEventFormatException">It is there but not a string.</exception>
    public static string? OptionalString(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new StreamEventFormatException($"'{name}' is not a string");
    }
}
