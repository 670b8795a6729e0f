namespace Guardrail.Audit.Querying;

/// <summary>One problem with a query: the parameter at fault, spelled as the caller spells it, and a message that
/// names it and says what to use instead.</summary>
/// <param name="Parameter">The parameter, such as <c>since</c> or <c>--since</c>.</param>
/// <param name="Message">A whole sentence for the user.</param>
public readonly record struct AuditQueryProblem(string Parameter, string Message);
