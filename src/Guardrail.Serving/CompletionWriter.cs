using System.Text.Encodings.Web;
using System.Text.Json;
using Guardrail.LlamaCpp.Generation;
using Guardrail.OpenAI;

namespace Guardrail.Serving;

/// <summary>
/// Writes one response in OpenAI's wire format: a whole <c>chat.completion</c> / <c>text_completion</c>, or the
/// chunks of its stream. One writer per response: it numbers text offsets across the chunks of a stream.
/// </summary>
internal sealed class CompletionWriter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly OpenAIApi _api;
    private readonly string _id;
    private readonly long _created;
    private readonly string _model;
    private readonly bool _logprobs;
    private readonly bool _usageInChunks;
    private int _textOffset;

    public CompletionWriter(OpenAIApi api, string id, long created, string model, bool logprobs, bool usageInChunks)
    {
        _api = api;
        _id = id;
        _created = created;
        _model = model;
        _logprobs = logprobs;
        _usageInChunks = usageInChunks;
    }

    private bool IsChat => _api == OpenAIApi.ChatCompletions;

    /// <summary>The whole non-streamed response.</summary>
    public byte[] Whole(string text, IReadOnlyList<TokenLogprob> logprobs, GenerationFinish finish) => Write(writer =>
    {
        Header(writer, IsChat ? "chat.completion" : "text_completion");
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        if (IsChat)
        {
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            writer.WriteString("content", text);
            writer.WriteNull("refusal");
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("text", text);
        }

        Logprobs(writer, logprobs);
        writer.WriteString("finish_reason", Name(finish.Reason));
        writer.WriteEndObject();
        writer.WriteEndArray();
        Usage(writer, finish);
    });

    /// <summary>
    /// One chunk of a stream: the first of a chat stream carries the role; the last carries the finish reason and no
    /// text (OpenAI's order).
    /// </summary>
    public byte[] Chunk(string text, IReadOnlyList<TokenLogprob> logprobs, bool first = false, FinishReason? finish = null) => Write(writer =>
    {
        Header(writer, IsChat ? "chat.completion.chunk" : "text_completion");
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        if (IsChat)
        {
            writer.WriteStartObject("delta");
            if (first)
            {
                writer.WriteString("role", "assistant");
            }

            if (finish is null)
            {
                writer.WriteString("content", text);
            }

            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("text", text);
        }

        Logprobs(writer, logprobs);
        if (finish is null)
        {
            writer.WriteNull("finish_reason");
        }
        else
        {
            writer.WriteString("finish_reason", Name(finish.Value));
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
        if (_usageInChunks)
        {
            writer.WriteNull("usage");
        }
    });

    /// <summary>The extra last chunk of <c>stream_options.include_usage</c>: no choices, the usage.</summary>
    public byte[] UsageChunk(GenerationFinish finish) => Write(writer =>
    {
        Header(writer, IsChat ? "chat.completion.chunk" : "text_completion");
        writer.WriteStartArray("choices");
        writer.WriteEndArray();
        Usage(writer, finish);
    });

    private static string Name(FinishReason reason) => reason == FinishReason.Length ? "length" : "stop";

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private void Header(Utf8JsonWriter writer, string type)
    {
        writer.WriteString("id", _id);
        writer.WriteString("object", type);
        writer.WriteNumber("created", _created);
        writer.WriteString("model", _model);
        if (IsChat)
        {
            writer.WriteNull("system_fingerprint");
        }
    }

    private static void Usage(Utf8JsonWriter writer, GenerationFinish finish)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", finish.PromptTokens);
        writer.WriteNumber("completion_tokens", finish.CompletionTokens);
        writer.WriteNumber("total_tokens", finish.PromptTokens + finish.CompletionTokens);
        // OpenAI's name for prompt tokens served from a cache instead of computed again.
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", finish.CachedPromptTokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private void Logprobs(Utf8JsonWriter writer, IReadOnlyList<TokenLogprob> logprobs)
    {
        if (!_logprobs)
        {
            writer.WriteNull("logprobs");
            return;
        }

        writer.WriteStartObject("logprobs");
        if (IsChat)
        {
            writer.WriteStartArray("content");
            foreach (var entry in logprobs)
            {
                writer.WriteStartObject();
                Token(writer, entry.Token, entry.Logprob, entry.Bytes);
                writer.WriteStartArray("top_logprobs");
                foreach (var alternative in entry.TopLogprobs)
                {
                    writer.WriteStartObject();
                    Token(writer, alternative.Token, alternative.Logprob, alternative.Bytes);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteNull("refusal");
        }
        else
        {
            // The legacy completions shape: parallel arrays, alternatives as token -> logprob objects.
            writer.WriteStartArray("tokens");
            foreach (var entry in logprobs)
            {
                writer.WriteStringValue(entry.Token);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("token_logprobs");
            foreach (var entry in logprobs)
            {
                writer.WriteNumberValue(entry.Logprob);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("top_logprobs");
            foreach (var entry in logprobs)
            {
                writer.WriteStartObject();
                foreach (var alternative in entry.TopLogprobs.DistinctBy(a => a.Token, StringComparer.Ordinal))
                {
                    writer.WriteNumber(alternative.Token, alternative.Logprob);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("text_offset");
            foreach (var entry in logprobs)
            {
                writer.WriteNumberValue(_textOffset);
                _textOffset += entry.Token.Length;
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void Token(Utf8JsonWriter writer, string token, double logprob, byte[] bytes)
    {
        writer.WriteString("token", token);
        writer.WriteNumber("logprob", logprob);
        writer.WriteStartArray("bytes");
        foreach (var b in bytes)
        {
            writer.WriteNumberValue(b);
        }

        writer.WriteEndArray();
    }
}
