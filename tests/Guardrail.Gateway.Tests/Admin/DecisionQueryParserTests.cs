using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Gateway.Admin;
using Guardrail.Policies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Guardrail.Gateway.Tests.Admin;

public sealed class DecisionQueryParserTests
{
    [Fact]
    public void Parse_EveryFilter_FillsTheQuery()
    {
        var parsed = Parse("since=2026-01-01&until=2026-01-02T10:00:00%2B02:00&tenant=team-a&direction=Prompt&action=block&verdict=unsafe&category=s1&policy=default&label=false_positive&search=bomb%20recipe&after=01JZZZZZZZZZZZZZZZZZZZZZZZ&limit=10", paging: true);

        Assert.Empty(parsed.Problems);
        var q = parsed.Query;
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), q.Since);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 8, 0, 0, TimeSpan.Zero), q.Until);
        Assert.Equal("team-a", q.Tenant);
        Assert.Equal(CheckDirection.Prompt, q.Direction);
        Assert.Equal(ModerationAction.Block, q.Action);
        Assert.Equal(GuardOutcome.Unsafe, q.Verdict);
        Assert.Equal("S1", q.Category);
        Assert.Equal("default", q.PolicyId);
        Assert.Equal(AuditLabel.FalsePositive, q.Label);
        Assert.Equal("bomb recipe", q.Search);
        Assert.Equal("01JZZZZZZZZZZZZZZZZZZZZZZZ", q.After);
        Assert.Equal(10, q.Limit);
    }

    [Fact]
    public void Parse_EmptyValues_AreFiltersNotSet()
    {
        var parsed = Parse("action=&search=%20%20&unlabelled=", paging: false);

        Assert.Empty(parsed.Problems);
        Assert.Null(parsed.Query.Action);
        Assert.Null(parsed.Query.Search);
        Assert.False(parsed.Query.UnlabelledOnly);
    }

    [Fact]
    public void Parse_PagingWhereNotAllowed_IsAnUnknownParameter()
    {
        var parsed = Parse("after=01JZZZZZZZZZZZZZZZZZZZZZZZ&limit=5", paging: false);

        Assert.Equal(["after", "limit"], parsed.Problems.Select(p => p.Param));
        Assert.NotNull(parsed.Error);
    }

    [Fact]
    public void Parse_ExtraParameters_AreLeftToTheCaller()
    {
        var parsed = Parse("format=csv&action=flag", paging: false, extra: ["format"]);

        Assert.Empty(parsed.Problems);
        Assert.Equal(ModerationAction.Flag, parsed.Query.Action);
    }

    [Fact]
    public void Parse_OverlongValue_IsAProblem()
    {
        var parsed = Parse("search=" + new string('a', DecisionQueryParser.MaxTextLength + 1), paging: false);

        Assert.Equal("search", Assert.Single(parsed.Problems).Param);
    }

    private static ParsedDecisionQuery Parse(string query, bool paging, IReadOnlyCollection<string>? extra = null) =>
        DecisionQueryParser.Parse(new QueryCollection(QueryHelpers.ParseQuery(query)), paging, extra);
}
