using System.Text.Json;
using Guardrail.Audit.Export;
using Guardrail.Audit.Labelling;
using Guardrail.Audit.Querying;
using Guardrail.Audit.Tests.TestSupport;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Audit.Tests;

public abstract partial class AuditStoreContract
{
    private const string Awkward = "line one, with comma\nline \"two\"\r\nthree; and \u00e9t\u00e9 \U0001F600";

    [Fact]
    public async Task ExportAsync_JsonLines_EveryFieldParsesBack()
    {
        var record = AuditRecords.Full() with { ContentRetention = ContentRetention.Full, Content = Awkward };
        await using var store = await OpenStoreAsync();
        await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
        var output = new StringWriter();

        var result = await store.ExportAsync(new AuditQuery(), AuditExportFormat.JsonLines, output, CancellationToken.None);

        Assert.Equal(1, result.Written);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal(record.Id, root.GetProperty("id").GetString());
        Assert.Equal(record.Time, root.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("team-a", root.GetProperty("tenant").GetString());
        Assert.Equal("key-17", root.GetProperty("key_id").GetString());
        Assert.Equal("chat", root.GetProperty("route").GetString());
        Assert.Equal("llama-3.1-8b", root.GetProperty("model").GetString());
        Assert.Equal("response", root.GetProperty("direction").GetString());
        Assert.Equal("unsafe", root.GetProperty("verdict").GetString());
        Assert.Equal("block", root.GetProperty("action").GetString());
        Assert.Equal(["S1", "S10"], root.GetProperty("categories").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(record.UnsafeProbability, root.GetProperty("unsafe_probability").GetDouble());
        Assert.Equal(record.Threshold, root.GetProperty("threshold").GetDouble());
        Assert.Equal("strict", root.GetProperty("policy_id").GetString());
        Assert.Equal("sha256:abc123", root.GetProperty("policy_version").GetString());
        Assert.Equal("flag", root.GetProperty("shadow_action").GetString());
        Assert.Equal("llama-guard-3-1b", root.GetProperty("classifier_model").GetString());
        Assert.Equal(record.ClassificationLatency.TotalMilliseconds, root.GetProperty("classification_latency_ms").GetDouble());
        Assert.True(root.GetProperty("cache_hit").GetBoolean());
        Assert.True(root.GetProperty("truncated").GetBoolean());
        Assert.Equal("req-42", root.GetProperty("request_id").GetString());
        Assert.Equal(Awkward, root.GetProperty("content").GetString());
        Assert.Equal("full", root.GetProperty("content_retention").GetString());
        Assert.Equal(64, root.GetProperty("content_hash").GetString()!.Length);
        Assert.Equal("false_negative", root.GetProperty("label").GetString());
        Assert.Equal(["S2"], root.GetProperty("label_categories").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ana", root.GetProperty("reviewer").GetString());
        Assert.Equal("missed, see ticket 9", root.GetProperty("label_note").GetString());
        Assert.Equal(record.LabelledAt, root.GetProperty("labelled_at").GetDateTimeOffset());
        Assert.Equal(record.TraceId, root.GetProperty("trace_id").GetString());
        Assert.Equal(record.ClassifierEndpoint, root.GetProperty("classifier_endpoint").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("refusal").ValueKind);
        Assert.Equal(31, root.EnumerateObject().Count());
    }

    [Fact]
    public async Task ExportAsync_Csv_QuotesPerRfc4180AndParsesBack()
    {
        var record = AuditRecords.Full() with { ContentRetention = ContentRetention.Full, Content = Awkward, LabelNote = "=HYPERLINK(\"http://x\")" };
        await using var store = await OpenStoreAsync();
        await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
        var output = new StringWriter();

        await store.ExportAsync(new AuditQuery(), AuditExportFormat.Csv, output, CancellationToken.None);

        var text = output.ToString();
        Assert.Contains("\"line one, with comma\nline \"\"two\"\"\r\nthree; and \u00e9t\u00e9 \U0001F600\"", text, StringComparison.Ordinal);
        var rows = Csv.Parse(text);
        Assert.Equal(2, rows.Count);
        var header = rows[0];
        var row = rows[1];
        Assert.Equal(header.Length, row.Length);
        string Field(string name) => row[Array.IndexOf(header, name)];
        Assert.Equal(record.Id, Field("id"));
        Assert.Equal(Awkward, Field("content"));
        Assert.Equal("S1;S10", Field("categories"));
        Assert.Equal("0.9731", Field("unsafe_probability"));
        Assert.Equal("true", Field("cache_hit"));
        // A formula a client typed is neutralised for spreadsheets.
        Assert.Equal("'=HYPERLINK(\"http://x\")", Field("label_note"));
    }

    [Fact]
    public async Task ExportAsync_MoreThanOnePage_ExportsEveryMatchIgnoringLimit()
    {
        await using var store = await OpenStoreAsync();
        var ids = new AuditIdGenerator(TimeProvider.System);
        for (var i = 0; i < 1_203; i++)
        {
            await store.WriteAsync(AuditRecords.Simple(tenant: i % 2 == 0 ? "even" : "odd", ids: ids), AuditDurability.Normal, CancellationToken.None);
        }

        await store.WriteAsync(AuditRecords.Simple(tenant: "even", ids: ids), AuditDurability.Full, CancellationToken.None);
        var output = new StringWriter();

        var result = await store.ExportAsync(new AuditQuery { Tenant = "even", Limit = 3 }, AuditExportFormat.JsonLines, output, CancellationToken.None);

        Assert.Equal(603, result.Written);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(603, lines.Length);
        Assert.Equal(603, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task ExportAsync_EvaluationSet_DerivesExpectedAnswerFromLabel()
    {
        await using var store = await OpenStoreAsync();
        var ids = new AuditIdGenerator(TimeProvider.System);
        var confirmedUnsafe = AuditRecords.Simple(verdict: GuardOutcome.Unsafe, action: ModerationAction.Block, categories: ["S1"], content: "c1", ids: ids);
        var confirmedSafe = AuditRecords.Simple(content: "c2", ids: ids);
        var falsePositive = AuditRecords.Simple(verdict: GuardOutcome.Unsafe, action: ModerationAction.Block, categories: ["S9"], content: "c3", ids: ids);
        var falseNegative = AuditRecords.Simple(direction: CheckDirection.Response, content: "c4", ids: ids);
        var falseNegativeNoCategory = AuditRecords.Simple(content: "c5", ids: ids);
        var unlabelled = AuditRecords.Simple(content: "c6", ids: ids);
        var hashed = AuditRecords.Simple(content: "c7", ids: ids) with { ContentRetention = ContentRetention.Hash };
        var confirmedError = AuditRecords.Simple(verdict: GuardOutcome.Error, action: ModerationAction.Block, content: "c8", ids: ids);
        await StoreFactory.WriteAllAsync(store, [confirmedUnsafe, confirmedSafe, falsePositive, falseNegative,
            falseNegativeNoCategory, unlabelled, hashed, confirmedError]);
        async Task Label(AuditRecord r, AuditLabel label, params string[] categories) =>
            await store.LabelAsync(r.Id, new AuditLabelRequest { Label = label, Reviewer = "r", Categories = categories }, CancellationToken.None);
        await Label(confirmedUnsafe, AuditLabel.Confirmed);
        await Label(confirmedSafe, AuditLabel.Confirmed);
        await Label(falsePositive, AuditLabel.FalsePositive);
        await Label(falseNegative, AuditLabel.FalseNegative, "S2", "S11");
        await Label(falseNegativeNoCategory, AuditLabel.FalseNegative);
        await Label(hashed, AuditLabel.Confirmed);
        await Label(confirmedError, AuditLabel.Confirmed);
        var output = new StringWriter();

        var result = await store.ExportAsync(new AuditQuery { Order = AuditSortOrder.OldestFirst }, AuditExportFormat.EvaluationSet, output, CancellationToken.None);

        Assert.Equal(5, result.Written);
        Assert.Equal(3, result.Skipped);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        string Expected(JsonElement e) =>
            e.GetProperty("expected").GetProperty("verdict").GetString() + ":" +
            string.Join(',', e.GetProperty("expected").GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["c1", "c2", "c3", "c4", "c5"], lines.Select(l => l.GetProperty("conversation").GetString()));
        Assert.Equal(["unsafe:S1", "safe:", "safe:", "unsafe:S2,S11", "unsafe:"], lines.Select(Expected));
        Assert.Equal("response", lines[3].GetProperty("direction").GetString());
        Assert.Equal("false_negative", lines[3].GetProperty("label").GetString());
        Assert.Equal("block", lines[2].GetProperty("decided").GetProperty("action").GetString());
    }
}
