using Guardrail.Audit.Querying;

namespace Guardrail.Gateway.Admin;

/// <summary>Reads the admin API's query string through the audit query language (<see cref="AuditQueryParser"/>, the
/// same parser the CLI uses), and turns its problems into one 400 in OpenAI's shape.</summary>
internal static class AdminQuery
{
    public static AuditQueryParseResult Parse(HttpRequest request, AuditQueryUse use, TimeProvider time, IReadOnlyCollection<string>? extra = null) =>
        AuditQueryParser.Parse(
            request.Query.Select(p => KeyValuePair.Create(p.Key, (IReadOnlyList<string?>)p.Value)),
            use,
            AuditQueryNaming.QueryString,
            time,
            extra);

    /// <summary>The 400 listing every problem, or null when the query can run.</summary>
    public static AdminErrorResult? Error(this AuditQueryParseResult parsed) =>
        parsed.IsValid ? null : AdminErrorResult.Invalid([.. parsed.Problems.Select(p => (p.Parameter, p.Message))]);
}
