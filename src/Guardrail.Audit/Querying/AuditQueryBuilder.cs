using System.Data.Common;
using System.Text;
using Guardrail.Audit.Storage;
using Guardrail.Auditing;

namespace Guardrail.Audit.Querying;

/// <summary>Builds the SQL for an <see cref="AuditQuery"/>. Every user value travels as a parameter; only fixed SQL
/// fragments are concatenated.</summary>
internal static class AuditQueryBuilder
{
    /// <summary>Adds the query's filters to <paramref name="command"/> as parameters and returns the WHERE clause
    /// (empty when nothing filters) over the table alias <c>d</c>.</summary>
    /// <param name="command">The command that will run the SQL.</param>
    /// <param name="query">The filters.</param>
    /// <param name="includeCursor">False for counts and stats, which cover every page.</param>
    /// <param name="dialect">The engine's category and search fragments.</param>
    public static string Where(DbCommand command, AuditQuery query, bool includeCursor, AuditSqlDialect dialect)
    {
        var conditions = new List<string>();
        void Add(string condition, string name, object value)
        {
            conditions.Add(condition);
            command.AddParameter(name, value);
        }

        if (query.Since is { } since)
        {
            Add("d.time_ticks >= @since", "@since", since.UtcTicks);
        }

        if (query.Until is { } until)
        {
            Add("d.time_ticks < @until", "@until", until.UtcTicks);
        }

        if (query.Tenant is { } tenant)
        {
            Add("d.tenant = @tenant", "@tenant", tenant);
        }

        if (TenantScope(command, query.Tenants) is { } scope)
        {
            conditions.Add(scope);
        }

        if (query.KeyId is { } keyId)
        {
            Add("d.key_id = @key_id", "@key_id", keyId);
        }

        if (query.Route is { } route)
        {
            Add("d.route = @route", "@route", route);
        }

        if (query.Model is { } model)
        {
            Add("d.model = @model", "@model", model);
        }

        if (query.Direction is { } direction)
        {
            Add("d.direction = @direction", "@direction", direction.ToWire());
        }

        if (query.Action is { } action)
        {
            Add("d.action = @action", "@action", action.ToWire());
        }

        if (query.Verdict is { } verdict)
        {
            Add("d.verdict = @verdict", "@verdict", verdict.ToWire());
        }

        if (query.Category is { } category)
        {
            Add(dialect.CategoryCondition, "@category", category);
        }

        if (query.PolicyId is { } policy)
        {
            Add("d.policy_id = @policy", "@policy", policy);
        }

        if (query.TraceId is { } traceId)
        {
            Add("d.trace_id = @trace_id", "@trace_id", traceId.ToLowerInvariant());
        }

        if (query.ClassifierEndpoint is { } endpoint)
        {
            Add("d.classifier_endpoint = @classifier_endpoint", "@classifier_endpoint", endpoint);
        }

        if (query.Refusal is { } refusal)
        {
            Add("d.refusal = @refusal", "@refusal", refusal);
        }

        if (query.Label is { } label)
        {
            Add("d.label = @label", "@label", label.ToWire());
        }

        if (query.UnlabelledOnly)
        {
            conditions.Add("d.label IS NULL");
        }

        if (dialect.SearchValue(query.Search) is { } match)
        {
            Add(dialect.SearchCondition, "@search", match);
        }

        if (includeCursor && query.After is { } after)
        {
            Add(query.Order == AuditSortOrder.NewestFirst ? "d.id < @after" : "d.id > @after", "@after", after);
        }

        if (conditions.Count == 0)
        {
            return "";
        }

        var builder = new StringBuilder(" WHERE ");
        builder.AppendJoin(" AND ", conditions);
        return builder.ToString();
    }

    /// <summary>The condition that keeps a reviewer to their tenants (over alias <c>d</c>, each tenant a parameter), or
    /// null when <paramref name="tenants"/> is null (every tenant). No tenant at all matches nothing.</summary>
    public static string? TenantScope(DbCommand command, IReadOnlyCollection<string>? tenants)
    {
        if (tenants is null)
        {
            return null;
        }

        if (tenants.Count == 0)
        {
            return "1 = 0";
        }

        var names = new List<string>(tenants.Count);
        foreach (var tenant in tenants)
        {
            var name = "@scope_tenant_" + names.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            command.AddParameter(name, tenant);
            names.Add(name);
        }

        return $"d.tenant IN ({string.Join(", ", names)})";
    }

    /// <summary>ORDER BY for the query's sort order; ids sort by time.</summary>
    public static string OrderBy(AuditQuery query) =>
        query.Order == AuditSortOrder.NewestFirst ? " ORDER BY d.id DESC" : " ORDER BY d.id ASC";
}
