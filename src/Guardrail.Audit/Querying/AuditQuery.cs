using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Audit.Querying;

/// <summary>Which decisions to list, count, export or summarise. Every filter left null matches everything; filters
/// combine with AND.</summary>
public sealed record AuditQuery
{
    /// <summary>Largest page <see cref="Limit"/> accepted.</summary>
    public const int MaxLimit = 1_000;

    /// <summary>Decisions at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Decisions before this time (exclusive).</summary>
    public DateTimeOffset? Until { get; init; }

    public string? Tenant { get; init; }

    /// <summary>Only decisions of these tenants (a reviewer's scope), on top of every other filter; null for every
    /// tenant, empty for none.</summary>
    public IReadOnlyCollection<string>? Tenants { get; init; }

    /// <summary>Decisions made for the gateway key with this id.</summary>
    public string? KeyId { get; init; }

    /// <summary>Decisions on this YARP route id.</summary>
    public string? Route { get; init; }

    /// <summary>Decisions for requests naming this model.</summary>
    public string? Model { get; init; }

    public CheckDirection? Direction { get; init; }

    public ModerationAction? Action { get; init; }

    public GuardOutcome? Verdict { get; init; }

    /// <summary>Decisions that named this category code.</summary>
    public string? Category { get; init; }

    public string? PolicyId { get; init; }

    /// <summary>The W3C trace id of the request (32 hex digits).</summary>
    public string? TraceId { get; init; }

    /// <summary>The remote classifier endpoint that answered.</summary>
    public string? ClassifierEndpoint { get; init; }

    /// <summary>Why a request was refused before any check (such as <c>rate_limit:tokens</c>).</summary>
    public string? Refusal { get; init; }

    public AuditLabel? Label { get; init; }

    /// <summary>Only decisions no reviewer has labelled yet.</summary>
    public bool UnlabelledOnly { get; init; }

    /// <summary>Words that must all occur in the stored content. Taken literally: FTS5 operators and quotes in the
    /// text are searched for, not interpreted.</summary>
    public string? Search { get; init; }

    /// <summary>Keyset cursor: start after this decision id (the previous page's <see cref="AuditPage.NextCursor"/>).</summary>
    public string? After { get; init; }

    /// <summary>Page size, 1 to <see cref="MaxLimit"/>. Default 50. Exports ignore it and return every match.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Newest first by default, as reviewers read.</summary>
    public AuditSortOrder Order { get; init; } = AuditSortOrder.NewestFirst;

    /// <summary>Every problem with this query; empty when it can run.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Limit is < 1 or > MaxLimit)
        {
            errors.Add($"limit is {Limit}: use 1 to {MaxLimit}.");
        }

        if (Since is { } since && Until is { } until && since >= until)
        {
            errors.Add($"since ({since:O}) must be before until ({until:O}).");
        }

        if (Label is not null && UnlabelledOnly)
        {
            errors.Add("label and unlabelled-only exclude each other: choose one.");
        }

        if (TraceId is not null && !AuditRecordRules.IsTraceId(TraceId))
        {
            errors.Add($"trace_id '{TraceId}' is not a trace id: use its 32 hexadecimal digits.");
        }

        if (After is not null && !AuditIdGenerator.TryGetTime(After, out _))
        {
            errors.Add($"after '{After}' is not a decision id.");
        }

        return errors;
    }
}
