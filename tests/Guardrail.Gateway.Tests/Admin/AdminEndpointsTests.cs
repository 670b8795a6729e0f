using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>The admin API over real decisions made by the moderation path.</summary>
public sealed class AdminEndpointsTests : IClassFixture<AdminFixture>
{
    private readonly AdminFixture _fixture;

    public AdminEndpointsTests(AdminFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("/admin/v1/decisions")]
    [InlineData("/admin/v1/stats")]
    [InlineData("/admin/v1/decisions/export")]
    public async Task Get_NoKey_Is401InOpenAIShape(string path)
    {
        using var client = _fixture.Gateway.CreateClient(key: null);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        var error = await ErrorAsync(response);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Get_ClientGatewayKey_Is403()
    {
        using var client = _fixture.Gateway.CreateClient(GatewayServer.ClientKey);

        using var response = await client.GetAsync($"/admin/v1/decisions/{_fixture.BlockedPromptId}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("admin_key_required", (await ErrorAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Post_WrongKey_Is401AndLabelsNothing()
    {
        using var client = _fixture.Gateway.CreateClient("not-a-key-of-this-gateway");

        using var response = await client.PostAsync($"/admin/v1/decisions/{_fixture.SafeId}/label", Json("""{"label":"confirmed","reviewer":"mallory"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var admin = _fixture.AdminClient();
        var record = await GetJsonAsync(admin, $"/admin/v1/decisions/{_fixture.SafeId}");
        Assert.NotEqual("mallory", record.GetProperty("reviewer").GetString());
    }

    [Fact]
    public async Task List_AdminKey_ReturnsEveryDecisionNewestFirstWithTotal()
    {
        using var admin = _fixture.AdminClient();

        var page = await GetJsonAsync(admin, $"/admin/v1/decisions?search={_fixture.Marker}&limit=1000");

        var ids = Ids(page);
        Assert.Equal(ids.OrderDescending(StringComparer.Ordinal), ids);
        Assert.Equal(ids.Count, page.GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next_cursor").ValueKind);
        Assert.Subset(new HashSet<string>(ids), new HashSet<string>([_fixture.SafeId, _fixture.BlockedPromptId, _fixture.FlaggedId, _fixture.BlockedViolinId, _fixture.BlockedResponseId]));
    }

    [Fact]
    public async Task List_ActionBlock_ReturnsTheBlockedDecisionsOnly()
    {
        using var admin = _fixture.AdminClient();

        var page = await GetJsonAsync(admin, "/admin/v1/decisions?action=block");

        var ids = Ids(page);
        Assert.Equal(
            new[] { _fixture.BlockedPromptId, _fixture.BlockedViolinId, _fixture.BlockedResponseId }.Order(StringComparer.Ordinal),
            ids.Order(StringComparer.Ordinal));
        Assert.All(page.GetProperty("data").EnumerateArray(), d => Assert.Equal("block", d.GetProperty("action").GetString()));
    }

    [Theory]
    [InlineData("category=S10&action=flag&direction=prompt", "Flagged")]
    [InlineData("category=s10&action=block", "BlockedViolin")]
    [InlineData("direction=response&action=block", "BlockedResponse")]
    [InlineData("category=S1&direction=prompt", "BlockedPrompt")]
    [InlineData("search=Paris&direction=prompt", "Safe")]
    [InlineData("policy=flag-test&direction=prompt", "Flagged")]
    [InlineData("verdict=unsafe&action=flag&tenant=team-a&direction=prompt", "Flagged")]
    public async Task List_CombinedFilters_FindExactlyTheMatchingDecision(string filters, string expected)
    {
        using var admin = _fixture.AdminClient();

        var page = await GetJsonAsync(admin, "/admin/v1/decisions?" + filters);

        Assert.Equal(IdOf(expected), Assert.Single(Ids(page)));
        Assert.Equal(1, page.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task List_TimeRange_ExcludesDecisionsOutsideIt()
    {
        using var admin = _fixture.AdminClient();
        var blocked = await GetJsonAsync(admin, $"/admin/v1/decisions/{_fixture.BlockedPromptId}");
        var time = DateTimeOffset.Parse(blocked.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        var after = Ids(await GetJsonAsync(admin, $"/admin/v1/decisions?since={Uri.EscapeDataString(time.AddTicks(1).ToString("O"))}"));
        var upTo = Ids(await GetJsonAsync(admin, $"/admin/v1/decisions?until={Uri.EscapeDataString(time.AddTicks(1).ToString("O"))}"));

        Assert.DoesNotContain(_fixture.BlockedPromptId, after);
        Assert.Contains(_fixture.BlockedViolinId, after);
        Assert.Contains(_fixture.BlockedPromptId, upTo);
        Assert.DoesNotContain(_fixture.BlockedViolinId, upTo);
    }

    [Fact]
    public async Task List_KeyIdRouteAndModel_FindOnlyDecisionsWithThatValue()
    {
        using var admin = _fixture.AdminClient();
        var flagged = await GetJsonAsync(admin, $"/admin/v1/decisions/{_fixture.FlaggedId}");

        foreach (var field in new[] { "key_id", "route", "model" })
        {
            var value = flagged.GetProperty(field).GetString()!;
            var page = await GetJsonAsync(admin, $"/admin/v1/decisions?{field}={Uri.EscapeDataString(value)}&limit=1000");
            Assert.Contains(_fixture.FlaggedId, Ids(page));
            Assert.All(page.GetProperty("data").EnumerateArray(), d => Assert.Equal(value, d.GetProperty(field).GetString()));
        }

        Assert.Equal("chat-flag", flagged.GetProperty("route").GetString());
        Assert.DoesNotContain(_fixture.SafeId, Ids(await GetJsonAsync(admin, "/admin/v1/decisions?route=chat-flag&limit=1000")));
    }

    [Fact]
    public async Task List_TheCommandLineForms_MeanTheSameInTheApi()
    {
        using var admin = _fixture.AdminClient();
        var mine = $"search={_fixture.Marker}&limit=1000";
        var all = Ids(await GetJsonAsync(admin, $"/admin/v1/decisions?{mine}"));

        // Ages count back from the gateway's clock; the fixture's decisions were all made within the last day.
        Assert.Equal(all, Ids(await GetJsonAsync(admin, $"/admin/v1/decisions?{mine}&since=1d")));
        Assert.Empty(Ids(await GetJsonAsync(admin, $"/admin/v1/decisions?{mine}&until=1d")));
        Assert.Equal(
            Ids(await GetJsonAsync(admin, $"/admin/v1/decisions?{mine}&unlabelled=true")),
            Ids(await GetJsonAsync(admin, $"/admin/v1/decisions?{mine}&label=none")));
        Assert.Equal(Enumerable.Reverse(all), Ids(await GetJsonAsync(admin, $"/admin/v1/decisions?{mine}&sort=oldest")));
    }

    [Fact]
    public async Task List_PagesOfTwo_WalkEveryDecisionOnceInOrder()
    {
        using var admin = _fixture.AdminClient();
        var all = Ids(await GetJsonAsync(admin, "/admin/v1/decisions?limit=1000"));

        var walked = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages <= all.Count; pages++)
        {
            var page = await GetJsonAsync(admin, "/admin/v1/decisions?limit=2" + (cursor is null ? "" : "&after=" + cursor));
            var ids = Ids(page);
            Assert.InRange(ids.Count, 1, 2);
            Assert.Equal(all.Count, page.GetProperty("total").GetInt64());
            walked.AddRange(ids);
            cursor = page.GetProperty("next_cursor").GetString();
            if (cursor is null)
            {
                break;
            }

            Assert.Equal(ids[^1], cursor);
        }

        Assert.Equal(all, walked);
    }

    [Theory]
    [InlineData("action=explode", "action")]
    [InlineData("direction=sideways", "direction")]
    [InlineData("verdict=maybe", "verdict")]
    [InlineData("label=wrong", "label")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("since=yesterday", "since")]
    [InlineData("until=2026-13-01", "until")]
    [InlineData("after=not-a-decision-id", "after")]
    [InlineData("acton=block", "acton")]
    [InlineData("action=block&action=flag", "action")]
    [InlineData("category=S-1", "category")]
    [InlineData("unlabelled=yes", "unlabelled")]
    [InlineData("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since")]
    [InlineData("label=confirmed&unlabelled=true", "label")]
    public async Task List_BadParameter_Is400NamingIt(string query, string parameter)
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync("/admin/v1/decisions?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal(parameter, error.GetProperty("param").GetString());
        Assert.Equal("invalid_parameter", error.GetProperty("code").GetString());
        Assert.Contains(parameter, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_SeveralBadParameters_NamesEveryOne()
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync("/admin/v1/decisions?action=explode&limit=0&colour=red");

        var message = (await ErrorAsync(response)).GetProperty("message").GetString()!;
        Assert.Contains("'action'", message, StringComparison.Ordinal);
        Assert.Contains("'limit'", message, StringComparison.Ordinal);
        Assert.Contains("'colour'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_BlockedDecision_HasEveryFieldAndTheContentEscapedForHtml()
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync($"/admin/v1/decisions/{_fixture.BlockedPromptId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        var raw = await response.Content.ReadAsStringAsync();
        // The markup is in the record, but no byte sequence of the body is a tag.
        Assert.DoesNotContain("<script", raw, StringComparison.OrdinalIgnoreCase);
        using var json = JsonDocument.Parse(raw);
        var d = json.RootElement;
        Assert.Equal(_fixture.BlockedPromptId, d.GetProperty("id").GetString());
        Assert.Equal("block", d.GetProperty("action").GetString());
        Assert.Equal("unsafe", d.GetProperty("verdict").GetString());
        Assert.Equal("prompt", d.GetProperty("direction").GetString());
        Assert.Equal(["S1"], d.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("team-a", d.GetProperty("tenant").GetString());
        Assert.Equal("team-a-key", d.GetProperty("key_id").GetString());
        Assert.Equal("default", d.GetProperty("policy_id").GetString());
        Assert.False(string.IsNullOrEmpty(d.GetProperty("policy_version").GetString()));
        Assert.True(d.GetProperty("unsafe_probability").GetDouble() > 0.99);
        Assert.Equal(0.5, d.GetProperty("threshold").GetDouble());
        Assert.Contains(AdminFixture.HostileMarkup, d.GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("01JZZZZZZZZZZZZZZZZZZZZZZZ")]
    [InlineData("nope")]
    public async Task Show_UnknownId_Is404(string id)
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync($"/admin/v1/decisions/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("decision_not_found", (await ErrorAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Label_FalsePositive_IsStoredAndFilterable()
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.PostAsync(
            $"/admin/v1/decisions/{_fixture.BlockedViolinId}/label",
            Json("""{"label":"false_positive","reviewer":" Ada ","note":"Music lessons are fine."}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var updated = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("false_positive", updated.RootElement.GetProperty("label").GetString());
        var stored = await GetJsonAsync(admin, $"/admin/v1/decisions/{_fixture.BlockedViolinId}");
        Assert.Equal("false_positive", stored.GetProperty("label").GetString());
        Assert.Equal("Ada", stored.GetProperty("reviewer").GetString());
        Assert.Equal("Music lessons are fine.", stored.GetProperty("label_note").GetString());
        Assert.NotEqual(JsonValueKind.Null, stored.GetProperty("labelled_at").ValueKind);
        Assert.Contains(_fixture.BlockedViolinId, Ids(await GetJsonAsync(admin, "/admin/v1/decisions?label=false_positive")));
        Assert.DoesNotContain(_fixture.BlockedViolinId, Ids(await GetJsonAsync(admin, "/admin/v1/decisions?unlabelled=true&limit=1000")));
    }

    [Fact]
    public async Task Label_FalseNegativeWithCategories_KeepsTheCategories()
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.PostAsync(
            $"/admin/v1/decisions/{_fixture.SafeId}/label",
            Json("""{"label":"false_negative","reviewer":"Grace","categories":["s9","S10"]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await GetJsonAsync(admin, $"/admin/v1/decisions/{_fixture.SafeId}");
        Assert.Equal("false_negative", stored.GetProperty("label").GetString());
        Assert.Equal(["S9", "S10"], stored.GetProperty("label_categories").EnumerateArray().Select(c => c.GetString()));
    }

    [Theory]
    [InlineData("not json", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("""{"reviewer":"Ada"}""", "label")]
    [InlineData("""{"label":"wrong","reviewer":"Ada"}""", "label")]
    [InlineData("""{"label":"confirmed"}""", "reviewer")]
    [InlineData("""{"label":"confirmed","reviewer":"   "}""", "reviewer")]
    [InlineData("""{"label":"confirmed","reviewer":42}""", "reviewer")]
    [InlineData("""{"label":"confirmed","reviewer":"Ada","colour":"red"}""", "colour")]
    [InlineData("""{"label":"false_positive","reviewer":"Ada","categories":["S1"]}""", "categories")]
    [InlineData("""{"label":"false_negative","reviewer":"Ada","categories":"S1"}""", "categories")]
    [InlineData("""{"label":"false_negative","reviewer":"Ada","categories":["S 1"]}""", "categories")]
    public async Task Label_InvalidBody_Is400NamingTheField(string body, string field)
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.PostAsync($"/admin/v1/decisions/{_fixture.FlaggedId}/label", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await ErrorAsync(response)).GetProperty("param").GetString());
        var stored = await GetJsonAsync(admin, $"/admin/v1/decisions/{_fixture.FlaggedId}");
        Assert.NotEqual("Ada", stored.GetProperty("reviewer").GetString());
    }

    [Fact]
    public async Task Label_NoteTooLong_Is400()
    {
        using var admin = _fixture.AdminClient();
        var body = JsonSerializer.Serialize(new { label = "confirmed", reviewer = "Ada", note = new string('x', 4001) });

        using var response = await admin.PostAsync($"/admin/v1/decisions/{_fixture.FlaggedId}/label", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("note", (await ErrorAsync(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Label_UnknownDecision_Is404()
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.PostAsync("/admin/v1/decisions/01JZZZZZZZZZZZZZZZZZZZZZZZ/label", Json("""{"label":"confirmed","reviewer":"Ada"}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Export_JsonLines_ParsesBackToTheListedDecisions()
    {
        using var admin = _fixture.AdminClient();
        var listed = Ids(await GetJsonAsync(admin, "/admin/v1/decisions?action=block"));

        using var response = await admin.GetAsync("/admin/v1/decisions/export?format=jsonl&action=block");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.EndsWith(".jsonl", disposition.FileName!.Trim('"'), StringComparison.Ordinal);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var exported = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToList();
        Assert.Equal(listed, exported);
    }

    [Fact]
    public async Task Export_Csv_HasTheHeaderAndOneRowPerDecisionWithContentIntact()
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync($"/admin/v1/decisions/export?format=csv&category=S1&direction=prompt");

        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var rows = Csv.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, rows.Count);
        var header = rows[0];
        var row = rows[1];
        Assert.Equal(header.Length, row.Length);
        Assert.Equal(_fixture.BlockedPromptId, row[Array.IndexOf(header, "id")]);
        Assert.Equal("block", row[Array.IndexOf(header, "action")]);
        Assert.Contains(AdminFixture.HostileMarkup, row[Array.IndexOf(header, "content")], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_EvaluationSet_HoldsTheLabelledDecisionWithItsExpectedAnswer()
    {
        using var admin = _fixture.AdminClient();
        using (var label = await admin.PostAsync($"/admin/v1/decisions/{_fixture.BlockedPromptId}/label", Json("""{"label":"confirmed","reviewer":"Ada"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, label.StatusCode);
        }

        using var response = await admin.GetAsync("/admin/v1/decisions/export?format=eval");

        Assert.EndsWith(".eval.jsonl", response.Content.Headers.ContentDisposition!.FileName!.Trim('"'), StringComparison.Ordinal);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l => Assert.NotEqual(JsonValueKind.Null, l.GetProperty("label").ValueKind));
        var line = Assert.Single(lines, l => l.GetProperty("id").GetString() == _fixture.BlockedPromptId);
        Assert.Equal("unsafe", line.GetProperty("expected").GetProperty("verdict").GetString());
        Assert.Equal(["S1"], line.GetProperty("expected").GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("bomb", line.GetProperty("conversation").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("format=xml", "format")]
    [InlineData("format=csv&limit=-1", "limit")]
    [InlineData("format=csv&after=01JZZZZZZZZZZZZZZZZZZZZZZZ", "after")]
    public async Task Export_BadParameter_Is400BeforeAnyByteIsStreamed(string query, string parameter)
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync("/admin/v1/decisions/export?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentDisposition);
        Assert.Equal(parameter, (await ErrorAsync(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Export_Limit_StopsAfterThatManyDecisions()
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync("/admin/v1/decisions/export?format=jsonl&limit=2");

        Assert.Equal(2, (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Stats_AgreeWithTheListing()
    {
        using var admin = _fixture.AdminClient();
        var decisions = (await GetJsonAsync(admin, $"/admin/v1/decisions?search={_fixture.Marker}&limit=1000")).GetProperty("data").EnumerateArray().ToList();

        var stats = await GetJsonAsync(admin, $"/admin/v1/stats?search={_fixture.Marker}");

        Assert.Equal(decisions.Count, stats.GetProperty("total").GetInt64());
        foreach (var group in decisions.GroupBy(d => d.GetProperty("action").GetString()!, StringComparer.Ordinal))
        {
            Assert.Equal(group.Count(), stats.GetProperty("by_action").GetProperty(group.Key).GetInt64());
        }

        var s1 = decisions.Count(d => d.GetProperty("categories").EnumerateArray().Any(c => c.GetString() == "S1"));
        Assert.Equal(s1, stats.GetProperty("by_category").GetProperty("S1").GetInt64());
        var unlabelled = decisions.Count(d => d.GetProperty("label").ValueKind == JsonValueKind.Null);
        Assert.Equal(unlabelled, stats.GetProperty("unlabelled").GetInt64());
    }

    [Fact]
    public async Task Stats_PagingParameter_Is400()
    {
        using var admin = _fixture.AdminClient();

        using var response = await admin.GetAsync("/admin/v1/stats?limit=5");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("limit", (await ErrorAsync(response)).GetProperty("param").GetString());
    }

    private string IdOf(string name) => name switch
    {
        "Safe" => _fixture.SafeId,
        "BlockedPrompt" => _fixture.BlockedPromptId,
        "Flagged" => _fixture.FlaggedId,
        "BlockedViolin" => _fixture.BlockedViolinId,
        "BlockedResponse" => _fixture.BlockedResponseId,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    internal static List<string> Ids(JsonElement page) =>
        [.. page.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("id").GetString()!)];

    internal static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }

    internal static StringContent Json(string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").Clone();
    }
}
