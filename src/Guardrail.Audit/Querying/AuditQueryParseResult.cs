namespace Guardrail.Audit.Querying;

/// <summary>What <see cref="AuditQueryParser"/> read: the query and every problem found. The query is only meaningful
/// when there are no problems.</summary>
public sealed record AuditQueryParseResult
{
    /// <summary>The filters, paging and order.</summary>
    public required AuditQuery Query { get; init; }

    /// <summary>For <see cref="AuditQueryUse.Export"/>: the most decisions to export, or null for all.</summary>
    public long? MaxRecords { get; init; }

    /// <summary>The values of the extra parameters the caller named (by the name it gave), when set.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Every problem, in the order found; empty when the query can run.</summary>
    public required IReadOnlyList<AuditQueryProblem> Problems { get; init; }

    /// <summary>True when there are no problems.</summary>
    public bool IsValid => Problems.Count == 0;
}
