using System.Text.Json;
using Guardrail.Classification;

namespace Guardrail.Caching;

/// <summary>
/// The stored form of a cached verdict: one format byte, then a small JSON object. A value whose format byte is
/// unknown, or that does not parse into a safe or unsafe verdict, decodes as a miss, never as a misread verdict.
/// </summary>
public static class VerdictCacheCodec
{
    /// <summary>The format byte written first; bump it on any incompatible change.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Encodes a safe or unsafe verdict; null for verdicts that must not be cached (errors).</summary>
    public static byte[]? Encode(GuardVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (!IsCacheable(verdict))
        {
            return null;
        }

        using var stream = new MemoryStream();
        stream.WriteByte(FormatVersion);
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("outcome", verdict.Outcome == GuardOutcome.Safe ? "safe" : "unsafe");
            if (verdict.UnsafeProbability is { } probability)
            {
                json.WriteNumber("p", probability);
            }

            WriteArray(json, "categories", verdict.Categories);
            WriteArray(json, "unparsed", verdict.UnparsedCategories);
            json.WriteBoolean("truncated", verdict.Truncated);
            json.WriteNumber("dropped_turns", verdict.DroppedTurns);
            json.WriteNumber("omitted_tokens", verdict.OmittedTokens);
            json.WriteString("raw", verdict.RawOutput);
            if (verdict.ModelId is not null)
            {
                json.WriteString("model", verdict.ModelId);
            }

            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>Decodes a stored value; null when it is empty, of another format, or not a safe/unsafe verdict.</summary>
    public static GuardVerdict? Decode(ReadOnlySpan<byte> value)
    {
        if (value.Length < 2 || value[0] != FormatVersion)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(value[1..]);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("outcome", out var outcomeElement))
            {
                return null;
            }

            GuardOutcome outcome;
            switch (outcomeElement.GetString())
            {
                case "safe":
                    outcome = GuardOutcome.Safe;
                    break;
                case "unsafe":
                    outcome = GuardOutcome.Unsafe;
                    break;
                default:
                    return null;
            }

            return new GuardVerdict
            {
                Outcome = outcome,
                UnsafeProbability = root.TryGetProperty("p", out var p) ? p.GetDouble() : null,
                Categories = ReadArray(root, "categories"),
                UnparsedCategories = ReadArray(root, "unparsed"),
                Truncated = root.TryGetProperty("truncated", out var truncated) && truncated.GetBoolean(),
                DroppedTurns = root.TryGetProperty("dropped_turns", out var dropped) ? dropped.GetInt32() : 0,
                OmittedTokens = root.TryGetProperty("omitted_tokens", out var omitted) ? omitted.GetInt32() : 0,
                RawOutput = root.TryGetProperty("raw", out var raw) ? raw.GetString() ?? string.Empty : string.Empty,
                ModelId = root.TryGetProperty("model", out var model) ? model.GetString() : null,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // A corrupt or foreign value is a miss: the classifier answers again and the entry is overwritten.
            return null;
        }
    }

    /// <summary>Only verdicts the model actually gave are cached; an error might not recur.</summary>
    public static bool IsCacheable(GuardVerdict verdict) =>
        verdict is { Outcome: GuardOutcome.Safe or GuardOutcome.Unsafe };

    private static void WriteArray(Utf8JsonWriter json, string name, IReadOnlyList<string> items)
    {
        json.WriteStartArray(name);
        foreach (var item in items)
        {
            json.WriteStringValue(item);
        }

        json.WriteEndArray();
    }

    private static string[] ReadArray(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        return [.. array.EnumerateArray().Select(static item => item.GetString() ?? string.Empty)];
    }
}
