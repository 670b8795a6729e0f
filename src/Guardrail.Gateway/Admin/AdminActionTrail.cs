using System.Globalization;
using Guardrail.Audit.AdminActions;
using Guardrail.Gateway.Auditing;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Metrics;

namespace Guardrail.Gateway.Admin;

/// <summary>
/// The trail of admin actions: every admin API request that passed authorization is recorded in the audit database
/// (who: the key id; what: the route; on what: the decision id or the query string; when) before it runs, so that an
/// action whose trail entry cannot be written does not happen (the request fails with a 500). <c>GET
/// /admin/v1/actions</c> lists the trail, for unscoped admin keys only.
/// </summary>
internal static class AdminActionTrail
{
    private static readonly HashSet<string> ListParameters = new(["key_id", "before", "limit"], StringComparer.Ordinal);

    /// <summary>The endpoint filter that records the request before the endpoint runs.</summary>
    public static async ValueTask<object?> RecordAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var action = http.GetEndpoint()?.Metadata.GetMetadata<GatewayRouteName>()?.Name ?? "admin";
        var target = http.Request.RouteValues.TryGetValue("id", out var id) && id is string decision
            ? decision
            : http.Request.QueryString.HasValue ? http.Request.QueryString.Value : null;
        var audit = http.RequestServices.GetRequiredService<AuditHost>();
        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        await audit.Store.RecordAdminActionAsync(
            new AdminAction { Time = time.GetUtcNow(), KeyId = http.GetCaller().KeyId, Action = action, Target = target },
            http.RequestAborted);
        return await next(context);
    }

    /// <summary><c>GET /admin/v1/actions?key_id=&amp;before=&amp;limit=</c>: the trail, newest first.</summary>
    public static async Task<IResult> ListAsync(HttpContext context, AuditHost audit)
    {
        var query = context.Request.Query;
        var problems = new List<(string Param, string Message)>();
        foreach (var name in query.Keys.Where(k => !ListParameters.Contains(k)))
        {
            problems.Add((name, $"Parameter '{name}' is not known here: use key_id, before or limit."));
        }

        long? before = null;
        if (query.TryGetValue("before", out var beforeText))
        {
            if (long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                before = parsed;
            }
            else
            {
                problems.Add(("before", $"Parameter 'before' is '{beforeText}': use the previous page's next_cursor."));
            }
        }

        var limit = 50;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > AdminActionPage.MaxLimit))
        {
            problems.Add(("limit", $"Parameter 'limit' is '{limitText}': use 1 to {AdminActionPage.MaxLimit}."));
        }

        var keyId = query.TryGetValue("key_id", out var keyText) ? keyText.ToString() : null;
        if (problems.Count > 0)
        {
            return AdminErrorResult.Invalid(problems);
        }

        var page = await audit.Store.ListAdminActionsAsync(keyId, before, limit, context.RequestAborted);
        return new AdminJsonResult(json => AdminJson.WriteActions(json, page));
    }
}
