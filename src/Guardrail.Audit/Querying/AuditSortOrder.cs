namespace Guardrail.Audit.Querying;

/// <summary>Order of a listing; decision ids sort by time, so this is time order.</summary>
public enum AuditSortOrder
{
    NewestFirst,
    OldestFirst,
}
