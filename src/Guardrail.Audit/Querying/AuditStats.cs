namespace Guardrail.Audit.Querying;

/// <summary>Counts of the decisions matching a query, keyed by wire names (<c>block</c>, <c>prompt</c>, <c>S1</c>).</summary>
public sealed record AuditStats
{
    public long Total { get; init; }

    public required IReadOnlyDictionary<string, long> ByAction { get; init; }

    public required IReadOnlyDictionary<string, long> ByDirection { get; init; }

    public required IReadOnlyDictionary<string, long> ByVerdict { get; init; }

    /// <summary>Decisions naming each category; a decision with two categories counts under both.</summary>
    public required IReadOnlyDictionary<string, long> ByCategory { get; init; }

    /// <summary>Labelled decisions by label; unlabelled ones are <see cref="Total"/> minus the sum.</summary>
    public required IReadOnlyDictionary<string, long> ByLabel { get; init; }
}
