namespace Guardrail.Auditing;

/// <summary>A reviewer's judgement of a recorded decision.</summary>
public enum AuditLabel
{
    /// <summary>The decision was right as made.</summary>
    Confirmed,

    /// <summary>The content was judged unsafe but is safe.</summary>
    FalsePositive,

    /// <summary>The content was judged safe but is unsafe.</summary>
    FalseNegative,
}
