namespace Guardrail.Auditing;

/// <summary>What the gateway did with the content.</summary>
public enum AuditAction
{
    /// <summary>Forwarded without remark.</summary>
    Allow,

    /// <summary>Forwarded and recorded for review.</summary>
    Flag,

    /// <summary>Refused with a content-filter response.</summary>
    Block,
}
