using Guardrail.Audit.Querying;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Audit.Tests.Querying;

public sealed class AuditQueryParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Now);

    [Fact]
    public void Parse_EveryFilter_FillsTheQuery()
    {
        var parsed = Parse(
            "since=2026-01-01&until=2026-01-02T10:00:00%2B02:00&tenant=team-a&key_id=key-7&route=chat&model=llama-3.1-8b" +
            "&direction=Prompt&action=block&verdict=unsafe&category=s1&policy=default&label=false_positive&search=bomb%20recipe" +
            "&after=01JZZZZZZZZZZZZZZZZZZZZZZZ&limit=10&sort=oldest",
            AuditQueryUse.List);

        Assert.Empty(parsed.Problems);
        var q = parsed.Query;
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), q.Since);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 8, 0, 0, TimeSpan.Zero), q.Until);
        Assert.Equal("team-a", q.Tenant);
        Assert.Equal("key-7", q.KeyId);
        Assert.Equal("chat", q.Route);
        Assert.Equal("llama-3.1-8b", q.Model);
        Assert.Equal(CheckDirection.Prompt, q.Direction);
        Assert.Equal(ModerationAction.Block, q.Action);
        Assert.Equal(GuardOutcome.Unsafe, q.Verdict);
        Assert.Equal("S1", q.Category);
        Assert.Equal("default", q.PolicyId);
        Assert.Equal(AuditLabel.FalsePositive, q.Label);
        Assert.False(q.UnlabelledOnly);
        Assert.Equal("bomb recipe", q.Search);
        Assert.Equal("01JZZZZZZZZZZZZZZZZZZZZZZZ", q.After);
        Assert.Equal(10, q.Limit);
        Assert.Equal(AuditSortOrder.OldestFirst, q.Order);
    }

    [Fact]
    public void Parse_CommandLineNames_GiveTheSameQueryAsTheQueryString()
    {
        var fromApi = Parse("since=7d&until=2h&tenant=team-a&key_id=key-7&route=chat&model=m&direction=response&action=FLAG&verdict=safe" +
            "&category=s10&policy=strict&label=none&search=violin&after=01JZZZZZZZZZZZZZZZZZZZZZZZ&limit=20&sort=newest", AuditQueryUse.List);
        var fromCli = AuditQueryParser.Parse(
            new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["--since"] = "7d", ["--until"] = "2h", ["--tenant"] = "team-a", ["--key-id"] = "key-7", ["--route"] = "chat",
                ["--model"] = "m", ["--direction"] = "response", ["--action"] = "FLAG", ["--verdict"] = "safe", ["--category"] = "s10",
                ["--policy"] = "strict", ["--label"] = "none", ["--search"] = "violin", ["--after"] = "01JZZZZZZZZZZZZZZZZZZZZZZZ",
                ["--limit"] = "20", ["--sort"] = "newest", ["--unlabelled"] = null,
            },
            AuditQueryUse.List,
            AuditQueryNaming.CommandLine,
            _clock);

        Assert.Empty(fromApi.Problems);
        Assert.Empty(fromCli.Problems);
        Assert.Equal(fromApi.Query, fromCli.Query);
    }

    [Fact]
    public void Parse_EmptyValues_AreFiltersNotSet()
    {
        var parsed = Parse("action=&search=%20%20&unlabelled=&label=", AuditQueryUse.Stats);

        Assert.Empty(parsed.Problems);
        Assert.Equal(new AuditQuery(), parsed.Query);
    }

    [Theory]
    [InlineData("15m", 15 * 60)]
    [InlineData("2h", 2 * 3600)]
    [InlineData("7d", 7 * 86400)]
    [InlineData("90s", 90)]
    [InlineData("0m", 0)]
    public void Parse_Age_CountsBackFromTheClock(string age, int seconds)
    {
        var parsed = Parse($"since={age}&until=2026-11-23", AuditQueryUse.Stats);

        Assert.Empty(parsed.Problems);
        Assert.Equal(Now.AddSeconds(-seconds), parsed.Query.Since);
    }

    [Fact]
    public void Parse_TimeWithoutOffset_IsUtc()
    {
        var parsed = Parse("since=2026-11-22T10:00&until=2026-11-22T12:00:00%2B01:00", AuditQueryUse.Stats);

        Assert.Empty(parsed.Problems);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), parsed.Query.Since);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 11, 0, 0, TimeSpan.Zero), parsed.Query.Until);
        Assert.Equal(TimeSpan.Zero, parsed.Query.Until!.Value.Offset);
    }

    [Theory]
    [InlineData("99999999999999d")]
    [InlineData("9223372036854775807s")]
    public void Parse_AgeBeforeTheYearOne_IsAProblemNotAnOverflow(string age)
    {
        var parsed = Parse("since=" + age, AuditQueryUse.Stats);

        var problem = Assert.Single(parsed.Problems);
        Assert.Equal("since", problem.Parameter);
        Assert.Contains("year 1", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("label=none")]
    [InlineData("label=NONE")]
    [InlineData("label=unlabelled")]
    [InlineData("unlabelled=true")]
    [InlineData("unlabelled=True")]
    [InlineData("unlabelled=1")]
    [InlineData("label=none&unlabelled=true")]
    public void Parse_LabelNoneAndUnlabelledTrue_MeanUnlabelledOnly(string query)
    {
        var parsed = Parse(query, AuditQueryUse.Stats);

        Assert.Empty(parsed.Problems);
        Assert.True(parsed.Query.UnlabelledOnly);
        Assert.Null(parsed.Query.Label);
    }

    /// <summary>The store refuses a query whose trace id is not one (a 500 through the API before the parser checked it).</summary>
    [Theory]
    [InlineData("not-a-trace-id")]
    [InlineData("00000000000000000000000000000000")]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e47360")]
    public void Parse_BadTraceId_IsAProblemNamingIt(string traceId)
    {
        var api = Parse("trace_id=" + traceId, AuditQueryUse.List);
        var cli = AuditQueryParser.Parse([KeyValuePair.Create("--trace-id", (string?)traceId)], AuditQueryUse.List, AuditQueryNaming.CommandLine, _clock);

        Assert.Equal("trace_id", Assert.Single(api.Problems).Parameter);
        Assert.Equal("--trace-id", Assert.Single(cli.Problems).Parameter);
        Assert.Null(api.Query.TraceId);
    }

    [Fact]
    public void Parse_GoodTraceId_IsKept()
    {
        var parsed = Parse("trace_id=4BF92F3577B34DA6A3CE929D0E0E4736", AuditQueryUse.List);

        Assert.Empty(parsed.Problems);
        Assert.Equal("4BF92F3577B34DA6A3CE929D0E0E4736", parsed.Query.TraceId);
    }

    [Fact]
    public void Parse_UnlabelledFalse_IsNoFilter()
    {
        var parsed = Parse("unlabelled=false&label=confirmed", AuditQueryUse.Stats);

        Assert.Empty(parsed.Problems);
        Assert.False(parsed.Query.UnlabelledOnly);
        Assert.Equal(AuditLabel.Confirmed, parsed.Query.Label);
    }

    [Theory]
    [InlineData("action=explode", "action")]
    [InlineData("direction=sideways", "direction")]
    [InlineData("verdict=maybe", "verdict")]
    [InlineData("label=wrong", "label")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("since=yesterday", "since")]
    [InlineData("since=7w", "since")]
    [InlineData("until=2026-13-01", "until")]
    [InlineData("after=not-a-decision-id", "after")]
    [InlineData("category=S-1", "category")]
    [InlineData("category=S12345678901234567", "category")]
    [InlineData("unlabelled=yes", "unlabelled")]
    [InlineData("sort=random", "sort")]
    [InlineData("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since")]
    [InlineData("since=1h&until=2h", "since")]
    [InlineData("label=confirmed&unlabelled=true", "label")]
    public void Parse_BadValue_IsOneProblemNamingItsParameterTheSameWayOnBothSides(string query, string parameter)
    {
        var api = Parse(query, AuditQueryUse.List);
        var cli = AuditQueryParser.Parse(Pairs(query, AuditQueryNaming.CommandLine), AuditQueryUse.List, AuditQueryNaming.CommandLine, _clock);

        var apiProblem = Assert.Single(api.Problems);
        var cliProblem = Assert.Single(cli.Problems);
        Assert.Equal(parameter, apiProblem.Parameter);
        Assert.Equal("--" + parameter, cliProblem.Parameter);
        Assert.Contains(parameter, apiProblem.Message, StringComparison.Ordinal);
        Assert.Contains("--" + parameter, cliProblem.Message, StringComparison.Ordinal);
        // One language: the same sentence, with each side's spelling of the names.
        Assert.Equal(
            apiProblem.Message.Replace($"Parameter '{parameter}'", parameter, StringComparison.Ordinal),
            cliProblem.Message.Replace("--", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_SeveralProblems_ListsEveryOne()
    {
        var parsed = Parse("action=explode&colour=red&limit=0&verdict=maybe", AuditQueryUse.List);

        Assert.Equal(["colour", "action", "verdict", "limit"], parsed.Problems.Select(p => p.Parameter));
        Assert.Contains("Unknown parameter 'colour'", parsed.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("since, until, tenant", parsed.Problems[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("action=block&action=flag", "action")]
    [InlineData("format=csv&format=csv", "format")]
    public void Parse_RepeatedParameter_IsAProblemAndNotUsed(string query, string parameter)
    {
        var parsed = Parse(query, AuditQueryUse.Export, extra: ["format"]);

        var problem = Assert.Single(parsed.Problems);
        Assert.Equal(parameter, problem.Parameter);
        Assert.Contains("more than once", problem.Message, StringComparison.Ordinal);
        Assert.Null(parsed.Query.Action);
        Assert.Empty(parsed.Extra);
    }

    [Fact]
    public void Parse_PagingWhereNotAllowed_IsAnUnknownParameter()
    {
        var stats = Parse("after=01JZZZZZZZZZZZZZZZZZZZZZZZ&limit=5&sort=oldest", AuditQueryUse.Stats);
        var export = Parse("after=01JZZZZZZZZZZZZZZZZZZZZZZZ", AuditQueryUse.Export);

        Assert.Equal(["after", "limit", "sort"], stats.Problems.Select(p => p.Parameter));
        Assert.Equal(["after"], export.Problems.Select(p => p.Parameter));
    }

    [Fact]
    public void Parse_ExtraParameters_AreLeftToTheCaller()
    {
        var parsed = Parse("format=%20csv%20&action=flag", AuditQueryUse.Export, extra: ["format"]);

        Assert.Empty(parsed.Problems);
        Assert.Equal(ModerationAction.Flag, parsed.Query.Action);
        Assert.Equal("csv", parsed.Extra["format"]);
    }

    [Fact]
    public void Parse_OverlongValue_IsAProblem()
    {
        var parsed = Parse("search=" + new string('a', AuditQueryParser.MaxValueLength + 1), AuditQueryUse.Stats);

        Assert.Equal("search", Assert.Single(parsed.Problems).Parameter);
    }

    [Theory]
    [InlineData("", 50)]
    [InlineData("limit=1", 1)]
    [InlineData("limit=1000", 1000)]
    public void Parse_ListLimit_IsThePageSize(string query, int expected)
    {
        var parsed = Parse(query, AuditQueryUse.List);

        Assert.Empty(parsed.Problems);
        Assert.Equal(expected, parsed.Query.Limit);
        Assert.Null(parsed.MaxRecords);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("limit=0", 0L)]
    [InlineData("limit=5000000000", 5_000_000_000L)]
    public void Parse_ExportLimit_IsTheMostDecisionsExported(string query, long? expected)
    {
        var parsed = Parse(query, AuditQueryUse.Export);

        Assert.Empty(parsed.Problems);
        Assert.Equal(expected, parsed.MaxRecords);
    }

    [Theory]
    [InlineData("limit=-1")]
    [InlineData("limit=all")]
    public void Parse_ExportLimitNotACount_IsAProblem(string query)
    {
        var parsed = Parse(query, AuditQueryUse.Export);

        Assert.Equal("limit", Assert.Single(parsed.Problems).Parameter);
    }

    [Fact]
    public void ParameterNames_CommandLine_AreTheQueryStringNamesAsOptions()
    {
        var api = AuditQueryParser.ParameterNames(AuditQueryUse.List, AuditQueryNaming.QueryString);
        var cli = AuditQueryParser.ParameterNames(AuditQueryUse.List, AuditQueryNaming.CommandLine);

        Assert.Contains("key_id", api);
        Assert.Contains("--key-id", cli);
        Assert.Equal(api.Select(n => "--" + n.Replace('_', '-')), cli);
        Assert.DoesNotContain("after", AuditQueryParser.ParameterNames(AuditQueryUse.Export, AuditQueryNaming.QueryString));
        Assert.DoesNotContain("limit", AuditQueryParser.ParameterNames(AuditQueryUse.Stats, AuditQueryNaming.QueryString));
    }

    private AuditQueryParseResult Parse(string query, AuditQueryUse use, IReadOnlyCollection<string>? extra = null) =>
        AuditQueryParser.Parse(
            Pairs(query, AuditQueryNaming.QueryString).GroupBy(p => p.Key, StringComparer.Ordinal)
                .Select(g => KeyValuePair.Create(g.Key, (IReadOnlyList<string?>)[.. g.Select(p => p.Value)])),
            use,
            AuditQueryNaming.QueryString,
            _clock,
            extra);

    /// <summary>A query string's pairs, with names spelled for <paramref name="naming"/>.</summary>
    private static List<KeyValuePair<string, string?>> Pairs(string query, AuditQueryNaming naming) =>
    [
        .. query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var parts = pair.Split('=', 2);
            return KeyValuePair.Create(AuditQueryParser.Spell(parts[0], naming), (string?)Uri.UnescapeDataString(parts.Length > 1 ? parts[1] : ""));
        }),
    ];
}
