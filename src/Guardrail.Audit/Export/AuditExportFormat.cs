namespace Guardrail.Audit.Export;

/// <summary>Export formats.</summary>
public enum AuditExportFormat
{
    /// <summary>One JSON object per decision per line, every field, snake_case names.</summary>
    JsonLines,

    /// <summary>RFC 4180 CSV with a header row: fields with commas, quotes or line breaks are quoted, quotes doubled,
    /// records end with CRLF.</summary>
    Csv,

    /// <summary>Labelled decisions as an evaluation set for <c>guardrail eval</c>: JSON Lines of conversation,
    /// direction, expected verdict and categories (see <see cref="AuditStore.ExportAsync"/>).</summary>
    EvaluationSet,
}
