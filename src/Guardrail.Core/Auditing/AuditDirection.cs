namespace Guardrail.Auditing;

/// <summary>Which side of the exchange a decision judged.</summary>
public enum AuditDirection
{
    /// <summary>The client's prompt, checked before it reaches the backend.</summary>
    Prompt,

    /// <summary>The backend's response, checked before it reaches the client.</summary>
    Response,
}
