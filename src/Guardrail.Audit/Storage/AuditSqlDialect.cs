using Guardrail.Audit.Querying;

namespace Guardrail.Audit.Storage;

/// <summary>The few SQL fragments in which the engines differ: how categories and full-text search are indexed.
/// Everything else (filters, paging, counts, labels, the purge) is the same SQL on both, with <c>@name</c>
/// parameters.</summary>
/// <param name="CategoryCondition">Condition over <c>d</c> true when the decision has category <c>@category</c>.</param>
/// <param name="CategoryFrom">FROM clause that yields one row per decision <c>d</c> and category code <c>c.code</c>.</param>
/// <param name="SearchCondition">Condition over <c>d</c> true when the content matches <c>@search</c>.</param>
/// <param name="SearchValue">The <c>@search</c> value for a reviewer's text (always literal words, ANDed), or null
/// when the text holds no words.</param>
internal sealed record AuditSqlDialect(
    string CategoryCondition,
    string CategoryFrom,
    string SearchCondition,
    Func<string?, string?> SearchValue)
{
    /// <summary>SQLite: a category table and an FTS5 table, both kept by triggers.</summary>
    public static readonly AuditSqlDialect Sqlite = new(
        "d.seq IN (SELECT c.decision_seq FROM decision_categories c WHERE c.code = @category)",
        "FROM decision_categories c JOIN decisions d ON d.seq = c.decision_seq",
        "d.seq IN (SELECT rowid FROM decisions_fts WHERE decisions_fts MATCH @search)",
        FullTextQuery.Build);

    /// <summary>PostgreSQL: a <c>text[]</c> of category codes and a generated <c>tsvector</c>, each with a GIN index.
    /// <c>plainto_tsquery</c> reads its text as plain words, never as query syntax.</summary>
    public static readonly AuditSqlDialect Postgres = new(
        "d.category_codes @> ARRAY[@category]::text[]",
        "FROM decisions d CROSS JOIN LATERAL unnest(d.category_codes) AS c(code)",
        "d.search_vector @@ plainto_tsquery('simple', @search)",
        text => string.IsNullOrWhiteSpace(text) ? null : text);
}
