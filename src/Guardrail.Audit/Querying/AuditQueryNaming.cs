namespace Guardrail.Audit.Querying;

/// <summary>How the caller spells the query language's parameter names, in its input and in the problems it gets
/// back.</summary>
public enum AuditQueryNaming
{
    /// <summary>The admin API's query string: <c>since</c>, <c>key_id</c>, problems as <c>Parameter 'since' is …</c>.</summary>
    QueryString,

    /// <summary>The CLI's options: <c>--since</c>, <c>--key-id</c>, problems as <c>--since is …</c>.</summary>
    CommandLine,
}
