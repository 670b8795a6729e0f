using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Auditing;

/// <summary>One moderation decision as the audit log keeps it.</summary>
/// <remarks>
/// The producer fills everything up to <see cref="Content"/>; <see cref="ContentHash"/> and the label fields are
/// set by the store (a record read back carries them). Times are kept in UTC to the tick.
/// </remarks>
public sealed record AuditRecord
{
    /// <summary>Sortable decision id from <see cref="AuditIdGenerator"/>; also sent to clients as
    /// <c>x-guardrail-decision-id</c>.</summary>
    public required string Id { get; init; }

    /// <summary>When the decision was made, from the gateway's <see cref="TimeProvider"/>.</summary>
    public required DateTimeOffset Time { get; init; }

    public required string Tenant { get; init; }

    /// <summary>The id of the gateway API key that authenticated the request; never the key itself.</summary>
    public string? KeyId { get; init; }

    /// <summary>The YARP route id.</summary>
    public required string Route { get; init; }

    /// <summary>The model the client asked for.</summary>
    public required string Model { get; init; }

    public required CheckDirection Direction { get; init; }

    public required GuardOutcome Verdict { get; init; }

    public required ModerationAction Action { get; init; }

    /// <summary>Hazard category codes the classifier named (for example <c>S1</c>), in its order.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>P(unsafe) read from the classifier, 0 to 1.</summary>
    public double UnsafeProbability { get; init; }

    /// <summary>The policy threshold the probability was compared with.</summary>
    public double Threshold { get; init; }

    public required string PolicyId { get; init; }

    /// <summary>The content hash of the policy snapshot that decided.</summary>
    public required string PolicyVersion { get; init; }

    /// <summary>What the shadow policy would have done; null when the policy has none.</summary>
    public ModerationAction? ShadowAction { get; init; }

    public string? ClassifierModel { get; init; }

    public TimeSpan ClassificationLatency { get; init; }

    /// <summary>The verdict came from the verdict cache.</summary>
    public bool CacheHit { get; init; }

    /// <summary>Older turns were dropped to fit the classifier's context.</summary>
    public bool Truncated { get; init; }

    public string? RequestId { get; init; }

    /// <summary>The W3C trace id (32 lower-case hex digits) of the request's trace; null when it had none.</summary>
    public string? TraceId { get; init; }

    /// <summary>The remote classifier endpoint that answered; null when the classifier runs in process.</summary>
    public string? ClassifierEndpoint { get; init; }

    /// <summary>Why the request was refused before any check, such as <c>rate_limit:tokens</c>; null for a checked
    /// request. Such a record has the verdict <see cref="GuardOutcome.NotChecked"/>, the action
    /// <see cref="ModerationAction.Block"/>, and no content.</summary>
    public string? Refusal { get; init; }

    /// <summary>The conversation text as the classifier saw it. The store keeps it per retention mode; read back it
    /// is what was kept (null for <see cref="ContentRetention.Hash"/> and <see cref="ContentRetention.None"/>).</summary>
    public string? Content { get; init; }

    /// <summary>Retention for this record; null means the store's default. Lets a policy keep less than the default.
    /// Read back it is the mode that was applied.</summary>
    public ContentRetention? ContentRetention { get; init; }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 content as given (of the empty string when there was none). Set by
    /// the store.</summary>
    public string? ContentHash { get; init; }

    public AuditLabel? Label { get; init; }

    /// <summary>Categories a reviewer named with a <see cref="AuditLabel.FalseNegative"/> label.</summary>
    public IReadOnlyList<string> LabelCategories { get; init; } = [];

    public string? Reviewer { get; init; }

    public string? LabelNote { get; init; }

    public DateTimeOffset? LabelledAt { get; init; }
}
