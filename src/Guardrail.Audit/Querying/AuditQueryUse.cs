namespace Guardrail.Audit.Querying;

/// <summary>What a query is for, which decides the parameters it takes beyond the filters.</summary>
public enum AuditQueryUse
{
    /// <summary>One page of a listing: the filters plus <c>after</c>, <c>limit</c> (1 to 1000, default 50) and
    /// <c>sort</c>.</summary>
    List,

    /// <summary>An export of every match: the filters plus <c>limit</c> (at most this many, 0 or more; default all)
    /// and <c>sort</c>.</summary>
    Export,

    /// <summary>Counts over every match: the filters only.</summary>
    Stats,
}
