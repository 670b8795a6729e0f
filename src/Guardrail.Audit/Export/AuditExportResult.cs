namespace Guardrail.Audit.Export;

/// <summary>What an export wrote.</summary>
public sealed record AuditExportResult
{
    /// <summary>Decisions written.</summary>
    public long Written { get; init; }

    /// <summary>Matching decisions left out: for an evaluation set, those without a label, without stored content, or
    /// confirmed with an error verdict (no expected answer can be derived from them).</summary>
    public long Skipped { get; init; }
}
