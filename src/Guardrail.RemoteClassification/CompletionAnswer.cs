using System.Text.Json;

namespace Guardrail.RemoteClassification;

/// <summary>
/// What a <c>/v1/completions</c> answer says about a Llama Guard check: the generated text and P(<c>unsafe</c>) at
/// the first output position, read from the first token's top logprobs.
/// </summary>
/// <remarks>
/// Two logprobs shapes are read: the legacy completions one (<c>tokens</c>, <c>token_logprobs</c>,
/// <c>top_logprobs</c> as token-to-logprob objects; vLLM, <c>guardrail serve</c>) and the chat-like one
/// (<c>content</c> entries with <c>top_logprobs</c> arrays; llama.cpp's server). When <c>unsafe</c> is not among
/// the top logprobs, its probability is at most the smallest one listed, and that bound is what is reported: it can
/// only overstate the risk, never understate it. Anything else that is not a well-formed answer is a
/// <see cref="RemoteAnswerException"/>, so that it becomes an error verdict and never <c>safe</c>.
/// </remarks>
internal sealed record CompletionAnswer(string Text, double UnsafeProbability, string? Model)
{
    /// <summary>The token whose probability is the score (Llama 3's <c>unsafe</c>, id 39257).</summary>
    public const string UnsafeToken = "unsafe";

    /// <summary>The server's own time for the answer, when it said (<c>Server-Timing: total;dur=MS</c>, as
    /// <c>guardrail serve</c> sends it); null otherwise.</summary>
    public TimeSpan? ServerTime { get; init; }

    /// <summary>The <c>dur</c> of the <c>total</c> metric in <c>Server-Timing</c> header values; null when absent or unreadable.</summary>
    public static TimeSpan? ReadServerTime(IEnumerable<string> serverTiming)
    {
        foreach (var metric in serverTiming.SelectMany(static v => v.Split(',')))
        {
            var parts = metric.Split(';', StringSplitOptions.TrimEntries);
            if (!string.Equals(parts[0], "total", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var parameter in parts.Skip(1))
            {
                if (parameter.StartsWith("dur=", StringComparison.OrdinalIgnoreCase)
                    && double.TryParse(parameter.AsSpan(4), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var milliseconds)
                    && milliseconds is >= 0 and < 86_400_000)
                {
                    return TimeSpan.FromMilliseconds(milliseconds);
                }
            }
        }

        return null;
    }

    /// <exception cref="RemoteAnswerException">The body is not a completion with text and first-token logprobs.</exception>
    public static CompletionAnswer Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            throw new RemoteAnswerException("the answer is not JSON");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                throw new RemoteAnswerException("the answer has no choices");
            }

            var choice = choices[0];
            if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            {
                throw new RemoteAnswerException("the answer's first choice has no text");
            }

            if (!choice.TryGetProperty("logprobs", out var logprobs) || logprobs.ValueKind != JsonValueKind.Object)
            {
                throw new RemoteAnswerException("the answer has no logprobs: the server must return logprobs for /v1/completions");
            }

            var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return new CompletionAnswer(text.GetString()!, ReadUnsafeProbability(logprobs), model);
        }
    }

    private static double ReadUnsafeProbability(JsonElement logprobs)
    {
        var (first, firstLogprob, top) = logprobs.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
            ? ContentShape(content)
            : LegacyShape(logprobs);
        if (top.Count == 0)
        {
            throw new RemoteAnswerException("the answer's first token has no top logprobs");
        }

        foreach (var (token, logprob) in top)
        {
            if (string.Equals(token, UnsafeToken, StringComparison.Ordinal))
            {
                return Probability(logprob);
            }
        }

        return string.Equals(first, UnsafeToken, StringComparison.Ordinal) ? Probability(firstLogprob) : Probability(top.Min(static t => t.Logprob));
    }

    private static double Probability(double logprob) =>
        double.IsFinite(logprob) && logprob <= 1e-9 ? Math.Exp(Math.Min(logprob, 0)) : throw new RemoteAnswerException("a logprob is not a finite number at most 0");

    private static (string First, double FirstLogprob, List<(string Token, double Logprob)> Top) LegacyShape(JsonElement logprobs)
    {
        if (!logprobs.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array || tokens.GetArrayLength() == 0
            || !logprobs.TryGetProperty("token_logprobs", out var tokenLogprobs) || tokenLogprobs.ValueKind != JsonValueKind.Array || tokenLogprobs.GetArrayLength() == 0
            || !logprobs.TryGetProperty("top_logprobs", out var topLogprobs) || topLogprobs.ValueKind != JsonValueKind.Array || topLogprobs.GetArrayLength() == 0
            || tokens[0].ValueKind != JsonValueKind.String || tokenLogprobs[0].ValueKind != JsonValueKind.Number || topLogprobs[0].ValueKind != JsonValueKind.Object)
        {
            throw new RemoteAnswerException("the answer's logprobs have no first token with its top logprobs");
        }

        var top = new List<(string, double)>();
        foreach (var property in topLogprobs[0].EnumerateObject())
        {
            top.Add((property.Name, Number(property.Value)));
        }

        return (tokens[0].GetString()!, tokenLogprobs[0].GetDouble(), top);
    }

    private static (string First, double FirstLogprob, List<(string Token, double Logprob)> Top) ContentShape(JsonElement content)
    {
        if (content.GetArrayLength() == 0 || content[0] is not { ValueKind: JsonValueKind.Object } first
            || !first.TryGetProperty("token", out var token) || token.ValueKind != JsonValueKind.String
            || !first.TryGetProperty("logprob", out var logprob)
            || !first.TryGetProperty("top_logprobs", out var topLogprobs) || topLogprobs.ValueKind != JsonValueKind.Array)
        {
            throw new RemoteAnswerException("the answer's logprobs have no first token with its top logprobs");
        }

        var top = new List<(string, double)>();
        foreach (var entry in topLogprobs.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("token", out var t) || t.ValueKind != JsonValueKind.String || !entry.TryGetProperty("logprob", out var lp))
            {
                throw new RemoteAnswerException("a top logprob entry has no token and logprob");
            }

            top.Add((t.GetString()!, Number(lp)));
        }

        return (token.GetString()!, Number(logprob), top);
    }

    private static double Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new RemoteAnswerException("a logprob is not a number");
}

/// <summary>A remote server answered, but not with a usable Llama Guard completion: a failed attempt, never a verdict.</summary>
internal sealed class RemoteAnswerException(string message) : Exception(message);
