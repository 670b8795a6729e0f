using Guardrail.Auditing;

namespace Guardrail.Audit.Querying;

/// <summary>One page of decisions.</summary>
public sealed record AuditPage
{
    public required IReadOnlyList<AuditRecord> Records { get; init; }

    /// <summary>Pass as <see cref="AuditQuery.After"/> for the next page; null on the last page.</summary>
    public string? NextCursor { get; init; }

    /// <summary>Decisions matching the filters, over all pages.</summary>
    public long TotalCount { get; init; }
}
