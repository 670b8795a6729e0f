using System.Globalization;
using System.Text;
using Guardrail.Auditing;

namespace Guardrail.Audit.Export;

/// <summary>Writes decisions as RFC 4180 CSV.</summary>
/// <remarks>
/// A field is quoted when it holds a comma, a double quote, CR or LF; quotes inside are doubled; records end with
/// CRLF. Category lists are joined with <c>;</c>. Free-text fields that begin with <c>= + - @</c>, tab or CR get a
/// leading apostrophe so that a spreadsheet opening the export does not run a formula a client typed into a prompt
/// (CSV injection); JSON Lines is the lossless format.
/// </remarks>
internal static class AuditCsvWriter
{
    private static readonly string[] Header =
    [
        "id", "time", "tenant", "key_id", "route", "model", "direction", "verdict", "action", "categories",
        "unsafe_probability", "threshold", "policy_id", "policy_version", "shadow_action", "classifier_model",
        "classification_latency_ms", "cache_hit", "truncated", "request_id", "content", "content_retention",
        "content_hash", "label", "label_categories", "reviewer", "label_note", "labelled_at", "trace_id",
        "classifier_endpoint", "refusal",
    ];

    public static Task WriteHeaderAsync(TextWriter output, CancellationToken cancellationToken) =>
        WriteRowAsync(output, Header, cancellationToken);

    public static Task WriteAsync(TextWriter output, AuditRecord r, CancellationToken cancellationToken)
    {
        string[] fields =
        [
            r.Id,
            r.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            Text(r.Tenant),
            Text(r.KeyId),
            Text(r.Route),
            Text(r.Model),
            r.Direction.ToWire(),
            r.Verdict.ToWire(),
            r.Action.ToWire(),
            Text(string.Join(';', r.Categories)),
            r.UnsafeProbability.ToString("R", CultureInfo.InvariantCulture),
            r.Threshold.ToString("R", CultureInfo.InvariantCulture),
            Text(r.PolicyId),
            Text(r.PolicyVersion),
            r.ShadowAction?.ToWire() ?? "",
            Text(r.ClassifierModel),
            r.ClassificationLatency.TotalMilliseconds.ToString("R", CultureInfo.InvariantCulture),
            r.CacheHit ? "true" : "false",
            r.Truncated ? "true" : "false",
            Text(r.RequestId),
            Text(r.Content),
            r.ContentRetention?.ToWire() ?? "",
            r.ContentHash ?? "",
            r.Label?.ToWire() ?? "",
            Text(string.Join(';', r.LabelCategories)),
            Text(r.Reviewer),
            Text(r.LabelNote),
            r.LabelledAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "",
            Text(r.TraceId),
            Text(r.ClassifierEndpoint),
            Text(r.Refusal),
        ];
        return WriteRowAsync(output, fields, cancellationToken);
    }

    /// <summary>Quotes <paramref name="field"/> when RFC 4180 requires it.</summary>
    internal static string Quote(string field)
    {
        if (field.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return field;
        }

        return "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static string Text(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        return value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
    }

    private static async Task WriteRowAsync(TextWriter output, string[] fields, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                line.Append(',');
            }

            line.Append(Quote(fields[i]));
        }

        line.Append("\r\n");
        await output.WriteAsync(line.ToString().AsMemory(), cancellationToken).ConfigureAwait(false);
    }
}
