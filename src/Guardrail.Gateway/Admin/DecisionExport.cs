using System.Globalization;
using System.Text;
using Guardrail.Audit;
using Guardrail.Audit.Export;
using Guardrail.Audit.Querying;

namespace Guardrail.Gateway.Admin;

/// <summary>
/// <c>GET /admin/v1/decisions/export?format=jsonl|csv|eval&amp;...filters&amp;limit=N</c>: every matching decision, streamed
/// as a download. The query is checked before the first byte, so a bad filter is still a 400; once streaming, a
/// failure can only cut the download short, which the client sees as a truncated transfer rather than a good file.
/// </summary>
internal static class DecisionExport
{
    private static readonly string[] ExtraParameters = ["format"];

    public static async Task<IResult> RunAsync(HttpContext context, AuditStore store, TimeProvider time, IReadOnlyCollection<string>? tenants)
    {
        var parsed = AdminQuery.Parse(context.Request, AuditQueryUse.Export, time, ExtraParameters);
        var problems = parsed.Problems.Select(p => (p.Parameter, p.Message)).ToList();
        var format = AuditExportFormat.JsonLines;
        if (parsed.Extra.GetValueOrDefault("format") is { } formatText && !TryParseFormat(formatText, out format))
        {
            problems.Add(("format", $"Parameter 'format' is '{formatText}': use jsonl, csv or eval."));
        }

        if (problems.Count > 0)
        {
            return AdminErrorResult.Invalid(problems);
        }

        var (extension, contentType) = format switch
        {
            AuditExportFormat.Csv => ("csv", "text/csv; charset=utf-8"),
            AuditExportFormat.EvaluationSet => ("eval.jsonl", "application/x-ndjson; charset=utf-8"),
            _ => ("jsonl", "application/x-ndjson; charset=utf-8"),
        };
        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.Headers.ContentDisposition = $"attachment; filename=\"guardrail-decisions-{stamp}.{extension}\"";

        var output = new StreamWriter(response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true);
        AuditExportResult result;
        await using (output)
        {
            result = await store.ExportAsync(parsed.Query with { Tenants = tenants }, format, output, context.RequestAborted, parsed.MaxRecords);
        }

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DecisionExport));
        AdminLog.Exported(logger, result.Written, extension, result.Skipped);
        return Results.Empty;
    }

    private static bool TryParseFormat(string text, out AuditExportFormat format)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "jsonl" or "json":
                format = AuditExportFormat.JsonLines;
                return true;
            case "csv":
                format = AuditExportFormat.Csv;
                return true;
            case "eval":
                format = AuditExportFormat.EvaluationSet;
                return true;
            default:
                format = default;
                return false;
        }
    }
}
