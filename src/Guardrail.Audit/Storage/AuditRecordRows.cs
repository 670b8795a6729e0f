using System.Data.Common;
using System.Text.Json;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Audit.Storage;

/// <summary>Maps <see cref="AuditRecord"/> to and from rows of the <c>decisions</c> table.</summary>
internal static class AuditRecordRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order, qualified by the alias <c>d</c>.</summary>
    public const string SelectColumns =
        "d.id, d.time_ticks, d.tenant, d.key_id, d.route, d.model, d.direction, d.verdict, d.action, d.categories, " +
        "d.unsafe_probability, d.threshold, d.policy_id, d.policy_version, d.shadow_action, d.classifier_model, " +
        "d.latency_ticks, d.cache_hit, d.truncated, d.request_id, d.content, d.content_retention, d.content_hash, " +
        "d.label, d.label_categories, d.reviewer, d.label_note, d.labelled_at_ticks, d.trace_id, d.classifier_endpoint, d.refusal";

    /// <summary>The stored columns, in the order of <see cref="SelectColumns"/> and <see cref="Values"/>.</summary>
    public static readonly string[] Columns =
    [
        "id", "time_ticks", "tenant", "key_id", "route", "model", "direction", "verdict", "action", "categories",
        "unsafe_probability", "threshold", "policy_id", "policy_version", "shadow_action", "classifier_model",
        "latency_ticks", "cache_hit", "truncated", "request_id", "content", "content_retention", "content_hash",
        "label", "label_categories", "reviewer", "label_note", "labelled_at_ticks", "trace_id", "classifier_endpoint",
        "refusal",
    ];

    /// <summary>The column values of a record already reduced by its retention mode, in <see cref="Columns"/> order:
    /// strings, <see cref="long"/>s and <see cref="double"/>s, <see cref="DBNull"/> for an absent value. The one
    /// mapping both engines insert with.</summary>
    public static object[] Values(AuditRecord record) =>
    [
        record.Id,
        record.Time.UtcTicks,
        record.Tenant,
        (object?)record.KeyId ?? DBNull.Value,
        record.Route,
        record.Model,
        record.Direction.ToWire(),
        record.Verdict.ToWire(),
        record.Action.ToWire(),
        JsonSerializer.Serialize(record.Categories),
        record.UnsafeProbability,
        record.Threshold,
        record.PolicyId,
        record.PolicyVersion,
        (object?)record.ShadowAction?.ToWire() ?? DBNull.Value,
        (object?)record.ClassifierModel ?? DBNull.Value,
        record.ClassificationLatency.Ticks,
        record.CacheHit ? 1L : 0L,
        record.Truncated ? 1L : 0L,
        (object?)record.RequestId ?? DBNull.Value,
        (object?)record.Content ?? DBNull.Value,
        (record.ContentRetention ?? ContentRetention.None).ToWire(),
        record.ContentHash ?? throw new InvalidOperationException("A stored record needs its content hash."),
        (object?)record.Label?.ToWire() ?? DBNull.Value,
        record.LabelCategories.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(record.LabelCategories),
        (object?)record.Reviewer ?? DBNull.Value,
        (object?)record.LabelNote ?? DBNull.Value,
        record.LabelledAt is { } at ? at.UtcTicks : DBNull.Value,
        (object?)record.TraceId ?? DBNull.Value,
        (object?)record.ClassifierEndpoint ?? DBNull.Value,
        (object?)record.Refusal ?? DBNull.Value,
    ];

    /// <summary>Reads the row at the reader's position; columns as in <see cref="SelectColumns"/>.</summary>
    public static AuditRecord Read(DbDataReader reader) => new()
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
        TraceId = NullableString(reader, 28),
        ClassifierEndpoint = NullableString(reader, 29),
        Refusal = NullableString(reader, 30),
    };

    private delegate bool TryParser<T>(string? text, out T value);

    private static T Parse<T>(string text, TryParser<T> parser) =>
        parser(text, out var value)
            ? value
            : throw new InvalidDataException($"The audit database holds an unknown {typeof(T).Name} value '{text}'.");

    private static string? NullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string[] ReadCodes(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];
}
