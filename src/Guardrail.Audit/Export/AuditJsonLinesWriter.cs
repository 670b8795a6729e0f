using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Guardrail.Auditing;

namespace Guardrail.Audit.Export;

/// <summary>The JSON shape of a decision: every field, snake_case names, wire names for enums, times in ISO 8601 UTC,
/// latency in milliseconds. Shared by the exports, the CLI and the admin API so that all three agree.</summary>
public static class AuditJsonLinesWriter
{
    // The export is a file for people and tools, not HTML: keep non-ASCII text readable.
    internal static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Writes <paramref name="record"/> as one JSON object and a line feed.</summary>
    public static Task WriteAsync(TextWriter output, AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        return WriteLineAsync(output, json => WriteObject(json, record), cancellationToken);
    }

    /// <summary>Writes one object with <paramref name="write"/> and a line feed.</summary>
    internal static async Task WriteLineAsync(TextWriter output, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            write(json);
        }

        await output.WriteAsync(Encoding.UTF8.GetString(buffer.WrittenSpan).AsMemory(), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync("\n".AsMemory(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="r"/> as a JSON object, for embedding in a larger document.</summary>
    public static void WriteObject(Utf8JsonWriter json, AuditRecord r)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(r);
        json.WriteStartObject();
        json.WriteString("id", r.Id);
        json.WriteString("time", r.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        json.WriteString("tenant", r.Tenant);
        WriteNullable(json, "key_id", r.KeyId);
        json.WriteString("route", r.Route);
        json.WriteString("model", r.Model);
        json.WriteString("direction", r.Direction.ToWire());
        json.WriteString("verdict", r.Verdict.ToWire());
        json.WriteString("action", r.Action.ToWire());
        WriteCodes(json, "categories", r.Categories);
        json.WriteNumber("unsafe_probability", r.UnsafeProbability);
        json.WriteNumber("threshold", r.Threshold);
        json.WriteString("policy_id", r.PolicyId);
        json.WriteString("policy_version", r.PolicyVersion);
        WriteNullable(json, "shadow_action", r.ShadowAction?.ToWire());
        WriteNullable(json, "classifier_model", r.ClassifierModel);
        json.WriteNumber("classification_latency_ms", r.ClassificationLatency.TotalMilliseconds);
        json.WriteBoolean("cache_hit", r.CacheHit);
        json.WriteBoolean("truncated", r.Truncated);
        WriteNullable(json, "request_id", r.RequestId);
        WriteNullable(json, "trace_id", r.TraceId);
        WriteNullable(json, "classifier_endpoint", r.ClassifierEndpoint);
        WriteNullable(json, "refusal", r.Refusal);
        WriteNullable(json, "content", r.Content);
        WriteNullable(json, "content_retention", r.ContentRetention?.ToWire());
        WriteNullable(json, "content_hash", r.ContentHash);
        WriteNullable(json, "label", r.Label?.ToWire());
        WriteCodes(json, "label_categories", r.LabelCategories);
        WriteNullable(json, "reviewer", r.Reviewer);
        WriteNullable(json, "label_note", r.LabelNote);
        WriteNullable(json, "labelled_at", r.LabelledAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        json.WriteEndObject();
    }

    internal static void WriteCodes(Utf8JsonWriter json, string name, IReadOnlyList<string> codes)
    {
        json.WriteStartArray(name);
        foreach (var code in codes)
        {
            json.WriteStringValue(code);
        }

        json.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
