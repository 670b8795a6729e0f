using System.Text.Json;
using Guardrail.Audit.AdminActions;
using Guardrail.Audit.Export;
using Guardrail.Audit.Querying;

namespace Guardrail.Gateway.Admin;

/// <summary>The admin API's JSON documents. Each decision inside them is exactly what the JSON Lines export writes.</summary>
internal static class AdminJson
{
    /// <summary><c>{"object":"list","data":[...],"next_cursor":..,"total":..}</c>.</summary>
    public static void WritePage(Utf8JsonWriter json, AuditPage page)
    {
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var record in page.Records)
        {
            AuditJsonLinesWriter.WriteObject(json, record);
        }

        json.WriteEndArray();
        if (page.NextCursor is { } next)
        {
            json.WriteString("next_cursor", next);
        }
        else
        {
            json.WriteNull("next_cursor");
        }

        json.WriteNumber("total", page.TotalCount);
        json.WriteEndObject();
    }

    /// <summary><c>{"object":"list","data":[{"sequence","time","key_id","action","target"}],"next_cursor":..}</c>.</summary>
    public static void WriteActions(Utf8JsonWriter json, AdminActionPage page)
    {
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var action in page.Actions)
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", action.Sequence);
            json.WriteString("time", action.Time);
            json.WriteString("key_id", action.KeyId);
            json.WriteString("action", action.Action);
            json.WriteString("target", action.Target);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (page.NextCursor is { } next)
        {
            json.WriteNumber("next_cursor", next);
        }
        else
        {
            json.WriteNull("next_cursor");
        }

        json.WriteEndObject();
    }

    /// <summary><c>{"total","unlabelled","by_action","by_direction","by_verdict","by_category","by_label"}</c>.</summary>
    public static void WriteStats(Utf8JsonWriter json, AuditStats stats)
    {
        json.WriteStartObject();
        json.WriteNumber("total", stats.Total);
        json.WriteNumber("unlabelled", stats.Total - stats.ByLabel.Values.Sum());
        Counts("by_action", stats.ByAction);
        Counts("by_direction", stats.ByDirection);
        Counts("by_verdict", stats.ByVerdict);
        Counts("by_category", stats.ByCategory);
        Counts("by_label", stats.ByLabel);
        json.WriteEndObject();

        void Counts(string name, IReadOnlyDictionary<string, long> counts)
        {
            json.WriteStartObject(name);
            foreach (var (key, count) in counts.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                json.WriteNumber(key, count);
            }

            json.WriteEndObject();
        }
    }
}
