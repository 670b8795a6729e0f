namespace Guardrail.Classification;

/// <summary>What the classifier concluded.</summary>
public enum GuardOutcome
{
    /// <summary>The model answered <c>safe</c>.</summary>
    Safe,

    /// <summary>The model answered <c>unsafe</c>, usually with category codes.</summary>
    Unsafe,

    /// <summary>No verdict: the model said something else, or classification failed. Never treat as safe by default.</summary>
    Error,

    /// <summary>Nothing was classified: the request was refused before any check (by a rate limit, say). Only audit
    /// records carry it, with <see cref="Auditing.AuditRecord.Refusal"/> saying why; a classifier never returns it.</summary>
    NotChecked,
}
