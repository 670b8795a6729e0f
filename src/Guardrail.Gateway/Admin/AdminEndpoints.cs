using Guardrail.Audit.Export;
using Guardrail.Audit.Querying;
using Guardrail.Auditing;
using Guardrail.Gateway.Admin.OpenApi;
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
            })
            .AddEndpointFilter(AdminActionTrail.RecordAsync);
        var read = GatewayAuthorization.AdminRolePolicy(AdminRole.Read);
        api.MapGet("/decisions", ListAsync).WithMetadata(new GatewayRouteName("admin_decisions")).RequireAuthorization(read);
        api.MapGet("/decisions/export", ExportAsync).WithMetadata(new GatewayRouteName("admin_export")).RequireAuthorization(GatewayAuthorization.AdminRolePolicy(AdminRole.Export));
        api.MapGet("/decisions/{id}", GetAsync).WithMetadata(new GatewayRouteName("admin_decision")).RequireAuthorization(read);
        api.MapPost("/decisions/{id}/label", LabelAsync).WithMetadata(new GatewayRouteName("admin_label")).RequireAuthorization(GatewayAuthorization.AdminRolePolicy(AdminRole.Label));
        api.MapGet("/stats", StatsAsync).WithMetadata(new GatewayRouteName("admin_stats")).RequireAuthorization(read);
        api.MapGet("/actions", AdminActionTrail.ListAsync).WithMetadata(new GatewayRouteName("admin_actions")).RequireAuthorization(GatewayAuthorization.UnscopedAdminPolicy);

        // The contract of the endpoints above, to any admin key whatever its roles and tenants: it holds no data.
        api.MapAdminOpenApi();
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

        var page = await audit.Store.QueryAsync(parsed.Query with { Tenants = TenantsOf(context) }, context.RequestAborted);
        return new AdminJsonResult(json => AdminJson.WritePage(json, page));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, AuditHost audit)
    {
        if (!AuditIdGenerator.TryGetTime(id, out _))
        {
            return NotFound(id);
        }

        // A decision of a tenant outside the key's scope is not found: a 403 would tell that it exists.
        var record = await audit.Store.GetAsync(id, context.RequestAborted, TenantsOf(context));
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
        var record = await audit.Store.LabelAsync(id, request, context.RequestAborted, TenantsOf(context));
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

        var stats = await audit.Store.GetStatsAsync(parsed.Query with { Tenants = TenantsOf(context) }, context.RequestAborted);
        return new AdminJsonResult(json => AdminJson.WriteStats(json, stats));
    }

    private static Task<IResult> ExportAsync(HttpContext context, AuditHost audit, TimeProvider time) =>
        DecisionExport.RunAsync(context, audit.Store, time, TenantsOf(context));

    /// <summary>The tenants the caller's admin key is limited to (null: every tenant), applied in every query's SQL.</summary>
    private static IReadOnlyList<string>? TenantsOf(HttpContext context) => context.GetCaller().Scope?.Tenants;

    internal static AdminErrorResult NotFound(string id) =>
        new(StatusCodes.Status404NotFound, $"No decision with id '{id}'.", "decision_not_found", "id");
}
