using Guardrail.Audit.Export;
using Guardrail.Audit.Querying;
using Guardrail.Auditing;
using Guardrail.Gateway.Admin.Review;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Metrics;

namespace Guardrail.Gateway.Admin;

/// <summary>
/// The admin API over the audit log (<c>/admin/v1</c>, the <c>admin</c> policy: admin keys only) and the review page
/// that uses it (<c>/admin/review</c>). Reviewers list, read, label and export decisions; the JSON of a decision is the export's.
/// </summary>
internal static class AdminEndpoints
{
    public const string ApiPrefix = "/admin/v1";

    public static IEndpointRouteBuilder MapGuardrailAdmin(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(ApiPrefix)
            .RequireAuthorization(GatewayAuthorization.AdminPolicy)
            .AddEndpointFilter(static (context, next) =>
            {
                AdminResponseHeaders.Apply(context.HttpContext.Response);
                return next(context);
            });
        api.MapGet("/decisions", ListAsync).WithMetadata(new GatewayRouteName("admin_decisions"));
        api.MapGet("/decisions/export", ExportAsync).WithMetadata(new GatewayRouteName("admin_export"));
        api.MapGet("/decisions/{id}", GetAsync).WithMetadata(new GatewayRouteName("admin_decision"));
        api.MapPost("/decisions/{id}/label", LabelAsync).WithMetadata(new GatewayRouteName("admin_label"));
        api.MapGet("/stats", StatsAsync).WithMetadata(new GatewayRouteName("admin_stats"));
        endpoints.MapReviewPage();
        return endpoints;
    }

    private static async Task<IResult> ListAsync(HttpContext context, AuditHost audit, TimeProvider time)
    {
        var parsed = AdminQuery.Parse(context.Request, AuditQueryUse.List, time);
        if (parsed.Error() is { } error)
        {
            return error;
        }

        var page = await audit.Store.QueryAsync(parsed.Query, context.RequestAborted);
        return new AdminJsonResult(json => AdminJson.WritePage(json, page));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, AuditHost audit)
    {
        if (!AuditIdGenerator.TryGetTime(id, out _))
        {
            return NotFound(id);
        }

        var record = await audit.Store.GetAsync(id, context.RequestAborted);
        return record is null ? NotFound(id) : new AdminJsonResult(json => AuditJsonLinesWriter.WriteObject(json, record));
    }

    private static async Task<IResult> LabelAsync(string id, HttpContext context, AuditHost audit, ILoggerFactory loggers)
    {
        if (!AuditIdGenerator.TryGetTime(id, out _))
        {
            return NotFound(id);
        }

        var parsed = await DecisionLabelParser.ParseAsync(context.Request, context.RequestAborted);
        if (parsed.Error is { } error)
        {
            return error;
        }

        var request = parsed.Request!;
        var record = await audit.Store.LabelAsync(id, request, context.RequestAborted);
        if (record is null)
        {
            return NotFound(id);
        }

        AdminLog.Labelled(loggers.CreateLogger(typeof(AdminEndpoints)), id, request.Label.ToWire(), request.Reviewer);
        return new AdminJsonResult(json => AuditJsonLinesWriter.WriteObject(json, record));
    }

    private static async Task<IResult> StatsAsync(HttpContext context, AuditHost audit, TimeProvider time)
    {
        var parsed = AdminQuery.Parse(context.Request, AuditQueryUse.Stats, time);
        if (parsed.Error() is { } error)
        {
            return error;
        }

        var stats = await audit.Store.GetStatsAsync(parsed.Query, context.RequestAborted);
        return new AdminJsonResult(json => AdminJson.WriteStats(json, stats));
    }

    private static Task<IResult> ExportAsync(HttpContext context, AuditHost audit, TimeProvider time) =>
        DecisionExport.RunAsync(context, audit.Store, time);

    internal static AdminErrorResult NotFound(string id) =>
        new(StatusCodes.Status404NotFound, $"No decision with id '{id}'.", "decision_not_found", "id");
}
