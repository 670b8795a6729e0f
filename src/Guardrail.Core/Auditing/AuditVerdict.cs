namespace Guardrail.Auditing;

/// <summary>What the classifier said about the content.</summary>
public enum AuditVerdict
{
    /// <summary>The classifier judged the content safe.</summary>
    Safe,

    /// <summary>The classifier judged the content unsafe in one or more categories.</summary>
    Unsafe,

    /// <summary>The classifier failed; the action then follows the policy's failure mode.</summary>
    Error,
}
