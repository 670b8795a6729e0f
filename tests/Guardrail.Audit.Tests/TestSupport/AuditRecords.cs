using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Audit.Tests.TestSupport;

/// <summary>Builds audit records for tests.</summary>
internal static class AuditRecords
{
    public static readonly DateTimeOffset Epoch = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly AuditIdGenerator Ids = new(TimeProvider.System);

    /// <summary>A record with every field set to a non-default value.</summary>
    public static AuditRecord Full(AuditIdGenerator? ids = null, DateTimeOffset? time = null) => new()
    {
        Id = (ids ?? Ids).Next(),
        Time = time ?? Epoch.AddTicks(1234567),
        Tenant = "team-a",
        KeyId = "key-17",
        Route = "chat",
        Model = "llama-3.1-8b",
        Direction = CheckDirection.Response,
        Verdict = GuardOutcome.Unsafe,
        Action = ModerationAction.Block,
        Categories = ["S1", "S10"],
        UnsafeProbability = 0.9731,
        Threshold = 0.5,
        PolicyId = "strict",
        PolicyVersion = "sha256:abc123",
        ShadowAction = ModerationAction.Flag,
        ClassifierModel = "llama-guard-3-1b",
        ClassificationLatency = TimeSpan.FromTicks(123_456),
        CacheHit = true,
        Truncated = true,
        RequestId = "req-42",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        ClassifierEndpoint = "http://guard-0.guard:8000/",
        Content = "user: how do I make a thing\nassistant: like this",
        // Redacted rather than Full so the field is not its default; the sample content has nothing to redact.
        ContentRetention = ContentRetention.Redacted,
        Label = AuditLabel.FalseNegative,
        LabelCategories = ["S2"],
        Reviewer = "ana",
        LabelNote = "missed, see ticket 9",
        LabelledAt = Epoch.AddDays(1).AddTicks(7),
    };

    /// <summary>A request a rate limit refused before its body was read: no model, policy or content.</summary>
    public static AuditRecord Refused(string tenant = "team-a", string kind = "requests", AuditIdGenerator? ids = null) => new()
    {
        Id = (ids ?? Ids).Next(),
        Time = Epoch,
        Tenant = tenant,
        KeyId = "key-17",
        Route = "chat",
        Model = "",
        Direction = CheckDirection.Prompt,
        Verdict = GuardOutcome.NotChecked,
        Action = ModerationAction.Block,
        PolicyId = "",
        PolicyVersion = "",
        RequestId = "req-43",
        TraceId = "0af7651916cd43dd8448eb211c80319c",
        Refusal = "rate_limit:" + kind,
        ContentRetention = ContentRetention.None,
    };

    /// <summary>A minimal unlabelled record.</summary>
    public static AuditRecord Simple(
        DateTimeOffset? time = null,
        string tenant = "team-a",
        CheckDirection direction = CheckDirection.Prompt,
        GuardOutcome verdict = GuardOutcome.Safe,
        ModerationAction action = ModerationAction.Allow,
        string[]? categories = null,
        string policy = "default",
        string? content = "hello there",
        AuditIdGenerator? ids = null) => new()
        {
            Id = (ids ?? Ids).Next(),
            Time = time ?? Epoch,
            Tenant = tenant,
            Route = "chat",
            Model = "llama-3.1-8b",
            Direction = direction,
            Verdict = verdict,
            Action = action,
            Categories = categories ?? [],
            UnsafeProbability = verdict == GuardOutcome.Unsafe ? 0.9 : 0.01,
            Threshold = 0.5,
            PolicyId = policy,
            PolicyVersion = "v1",
            Content = content,
        };
}
