using System.Text.Json;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;
using Microsoft.Data.Sqlite;

namespace Guardrail.Audit.Storage;

/// <summary>Maps <see cref="AuditRecord"/> to and from rows of the <c>decisions</c> table.</summary>
internal static class AuditRecordRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order, qualified by the alias <c>d</c>.</summary>
    public const string SelectColumns =
        "d.id, d.time_ticks, d.tenant, d.key_id, d.route, d.model, d.direction, d.verdict, d.action, d.categories, " +
        "d.unsafe_probability, d.threshold, d.policy_id, d.policy_version, d.shadow_action, d.classifier_model, " +
        "d.latency_ticks, d.cache_hit, d.truncated, d.request_id, d.content, d.content_retention, d.content_hash, " +
        "d.label, d.label_categories, d.reviewer, d.label_note, d.labelled_at_ticks";

    private const string InsertSql =
        "INSERT INTO decisions (id, time_ticks, tenant, key_id, route, model, direction, verdict, action, categories, " +
        "unsafe_probability, threshold, policy_id, policy_version, shadow_action, classifier_model, latency_ticks, " +
        "cache_hit, truncated, request_id, content, content_retention, content_hash, label, label_categories, reviewer, " +
        "label_note, labelled_at_ticks) VALUES ($id, $time, $tenant, $key_id, $route, $model, $direction, $verdict, " +
        "$action, $categories, $p, $threshold, $policy_id, $policy_version, $shadow_action, $classifier_model, $latency, " +
        "$cache_hit, $truncated, $request_id, $content, $retention, $hash, $label, $label_categories, $reviewer, " +
        "$label_note, $labelled_at);";

    private static readonly string[] InsertParameters =
    [
        "$id", "$time", "$tenant", "$key_id", "$route", "$model", "$direction", "$verdict", "$action", "$categories",
        "$p", "$threshold", "$policy_id", "$policy_version", "$shadow_action", "$classifier_model", "$latency",
        "$cache_hit", "$truncated", "$request_id", "$content", "$retention", "$hash", "$label", "$label_categories",
        "$reviewer", "$label_note", "$labelled_at",
    ];

    /// <summary>Creates the insert command, prepared once and reused for every record of a batch.</summary>
    public static SqliteCommand CreateInsert(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = InsertSql;
        foreach (var name in InsertParameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    /// <summary>Inserts a record already reduced by its retention mode. The insert trigger indexes its categories and
    /// content, so one statement per record crosses from .NET into SQLite.</summary>
    public static void Insert(SqliteCommand insert, AuditRecord record)
    {
        var p = insert.Parameters;
        p[0].Value = record.Id;
        p[1].Value = record.Time.UtcTicks;
        p[2].Value = record.Tenant;
        p[3].Value = (object?)record.KeyId ?? DBNull.Value;
        p[4].Value = record.Route;
        p[5].Value = record.Model;
        p[6].Value = record.Direction.ToWire();
        p[7].Value = record.Verdict.ToWire();
        p[8].Value = record.Action.ToWire();
        p[9].Value = JsonSerializer.Serialize(record.Categories);
        p[10].Value = record.UnsafeProbability;
        p[11].Value = record.Threshold;
        p[12].Value = record.PolicyId;
        p[13].Value = record.PolicyVersion;
        p[14].Value = (object?)record.ShadowAction?.ToWire() ?? DBNull.Value;
        p[15].Value = (object?)record.ClassifierModel ?? DBNull.Value;
        p[16].Value = record.ClassificationLatency.Ticks;
        p[17].Value = record.CacheHit ? 1 : 0;
        p[18].Value = record.Truncated ? 1 : 0;
        p[19].Value = (object?)record.RequestId ?? DBNull.Value;
        p[20].Value = (object?)record.Content ?? DBNull.Value;
        p[21].Value = (record.ContentRetention ?? ContentRetention.None).ToWire();
        p[22].Value = record.ContentHash ?? throw new InvalidOperationException("A stored record needs its content hash.");
        p[23].Value = (object?)record.Label?.ToWire() ?? DBNull.Value;
        p[24].Value = record.LabelCategories.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(record.LabelCategories);
        p[25].Value = (object?)record.Reviewer ?? DBNull.Value;
        p[26].Value = (object?)record.LabelNote ?? DBNull.Value;
        p[27].Value = record.LabelledAt is { } at ? at.UtcTicks : DBNull.Value;
        insert.ExecuteNonQuery();
    }

    /// <summary>Reads the row at the reader's position; columns as in <see cref="SelectColumns"/>.</summary>
    public static AuditRecord Read(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Time = new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero),
        Tenant = reader.GetString(2),
        KeyId = NullableString(reader, 3),
        Route = reader.GetString(4),
        Model = reader.GetString(5),
        Direction = Parse<CheckDirection>(reader.GetString(6), AuditNames.TryParseDirection),
        Verdict = Parse<GuardOutcome>(reader.GetString(7), AuditNames.TryParseVerdict),
        Action = Parse<ModerationAction>(reader.GetString(8), AuditNames.TryParseAction),
        Categories = ReadCodes(reader.GetString(9)),
        UnsafeProbability = reader.GetDouble(10),
        Threshold = reader.GetDouble(11),
        PolicyId = reader.GetString(12),
        PolicyVersion = reader.GetString(13),
        ShadowAction = reader.IsDBNull(14) ? null : Parse<ModerationAction>(reader.GetString(14), AuditNames.TryParseAction),
        ClassifierModel = NullableString(reader, 15),
        ClassificationLatency = TimeSpan.FromTicks(reader.GetInt64(16)),
        CacheHit = reader.GetInt64(17) != 0,
        Truncated = reader.GetInt64(18) != 0,
        RequestId = NullableString(reader, 19),
        Content = NullableString(reader, 20),
        ContentRetention = Parse<ContentRetention>(reader.GetString(21), AuditNames.TryParseRetention),
        ContentHash = reader.GetString(22),
        Label = reader.IsDBNull(23) ? null : Parse<AuditLabel>(reader.GetString(23), AuditNames.TryParseLabel),
        LabelCategories = reader.IsDBNull(24) ? [] : ReadCodes(reader.GetString(24)),
        Reviewer = NullableString(reader, 25),
        LabelNote = NullableString(reader, 26),
        LabelledAt = reader.IsDBNull(27) ? null : new DateTimeOffset(reader.GetInt64(27), TimeSpan.Zero),
    };

    private delegate bool TryParser<T>(string? text, out T value);

    private static T Parse<T>(string text, TryParser<T> parser) =>
        parser(text, out var value)
            ? value
            : throw new InvalidDataException($"The audit database holds an unknown {typeof(T).Name} value '{text}'.");

    private static string? NullableString(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string[] ReadCodes(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];
}
