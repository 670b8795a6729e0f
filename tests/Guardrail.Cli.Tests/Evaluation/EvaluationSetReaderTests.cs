using Guardrail.Audit;
using Guardrail.Audit.Export;
using Guardrail.Audit.Querying;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Cli.Evaluation;
using Guardrail.Conversations;
using Guardrail.Diagnostics;
using Guardrail.Moderation;
using Guardrail.Policies;

namespace Guardrail.Cli.Tests.Evaluation;

public sealed class EvaluationSetReaderTests : IDisposable
{
    private readonly TempDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Read_ShippedSet_CoversEveryCategoryInBothDirections()
    {
        var items = EvaluationSetReader.Read(RepositoryRoot.Combine("tests", "eval", "keyword-guard.jsonl"));

        foreach (var direction in new[] { CheckDirection.Prompt, CheckDirection.Response })
        {
            var codes = items.Where(i => i.Direction == direction).SelectMany(i => i.ExpectedCategories).ToHashSet(StringComparer.Ordinal);
            Assert.All(Enumerable.Range(1, 14), n => Assert.Contains($"S{n}", codes));
            Assert.Contains(items, i => i.Direction == direction && !i.ExpectedUnsafe);
        }
    }

    [Fact]
    public void Read_CsvTwin_ReadsTheSameItemsAsTheJsonLines()
    {
        var jsonLines = EvaluationSetReader.Read(RepositoryRoot.Combine("tests", "eval", "keyword-guard.jsonl"));
        var csv = EvaluationSetReader.Read(RepositoryRoot.Combine("tests", "eval", "keyword-guard.csv"));

        Assert.Equal(jsonLines.Select(Describe), csv.Select(Describe));
    }

    [Fact]
    public void Read_MalformedJsonLines_ReportsEveryProblemWithFileAndLine()
    {
        var path = Write("bad.jsonl",
            """{"id":"a","text":"hello","expected":"safe"}""",
            """{"id":"b","text":"hello","expected":"maybe"}""",
            "",
            """{"id":"c","text":"hi","expected":"unsafe","categories":["S1","X9"]}""",
            """{"id":"a","text":"again","expected":"safe"}""",
            """{"id":"d","expected":"safe"}""",
            """{"id":"e","text":"hi", "expected":"safe",""",
            """{"id":"f","messages":[{"role":"user","content":"hi"}],"direction":"response","expected":"safe"}""",
            """{"id":"g","text":"hi","expected":"safe","categories":["S2"]}""");

        var error = Assert.Throws<FileValidationException>(() => EvaluationSetReader.Read(path));

        Assert.Equal([2, 4, 5, 6, 7, 8, 9], error.Errors.Select(e => e.Line));
        Assert.All(error.Errors, e => Assert.Equal(path, e.File));
        Assert.Contains("'maybe' is not safe or unsafe", error.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("'X9'", error.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("id 'a' is used twice (first on line 1)", error.Errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("no content", error.Errors[3].Message, StringComparison.Ordinal);
        Assert.Contains("not a JSON object", error.Errors[4].Message, StringComparison.Ordinal);
        Assert.Contains("ends with a User turn", error.Errors[5].Message, StringComparison.Ordinal);
        Assert.Contains("a safe item names categories", error.Errors[6].Message, StringComparison.Ordinal);
        Assert.Contains($"{path}:2:1: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MalformedCsv_ReportsTheRecordsStartLine()
    {
        var path = Write("bad.csv",
            "id,prompt,response,expected,categories",
            "a,\"two\nlines\",,unsafe,S1",
            "b,fine,,unsure,",
            "c,hi,,unsafe,S1;S0");

        var error = Assert.Throws<FileValidationException>(() => EvaluationSetReader.Read(path));

        Assert.Equal([4, 5], error.Errors.Select(e => e.Line));
        Assert.Contains("'unsure'", error.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("'S0'", error.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CsvWithoutRequiredColumns_NamesThem()
    {
        var path = Write("bad.csv", "id,text,label", "a,hello,safe");

        var error = Assert.Throws<FileValidationException>(() => EvaluationSetReader.Read(path));

        Assert.Contains(error.Errors, e => e.Line == 1 && e.Message.Contains("unknown column 'text'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Message.Contains("no 'prompt' column", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Message.Contains("no 'expected' column", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_EmptyFile_IsRejected()
    {
        var error = Assert.Throws<FileValidationException>(() => EvaluationSetReader.Read(Write("empty.jsonl", "")));

        Assert.Contains("no items", error.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MessagesWithoutDirection_TheLastTurnDecides()
    {
        var path = Write("set.jsonl",
            """{"id":"r","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}],"expected":{"verdict":"safe","categories":[]}}""");

        var item = Assert.Single(EvaluationSetReader.Read(path));

        Assert.Equal(CheckDirection.Response, item.Direction);
        Assert.Equal(["Be brief."], item.Conversation.SystemMessages);
        Assert.Equal([ConversationRole.User, ConversationRole.Assistant], item.Conversation.Turns.Select(t => t.Role));
        Assert.Equal("Hello!", item.Conversation.Turns[1].Text);
    }

    [Fact]
    public async Task Read_AuditExport_LabelledDecisionsBecomeItems()
    {
        // The loop: decisions in the audit log, labelled by a reviewer, exported as an evaluation set, read back.
        var conversation = new ConversationBuilder().AddSystem("Be kind.").AddUser("How do I bake bread?\n\nI have flour.").AddAssistant("Knead it well.").Build();
        var db = _scratch.File("audit.db");
        var ids = new AuditIdGenerator(TimeProvider.System);
        var fine = Record(ids.Next(), CheckDirection.Response, GuardOutcome.Unsafe, ["S2"], ModerationPipeline.RenderForReview(conversation));
        var missed = Record(ids.Next(), CheckDirection.Prompt, GuardOutcome.Safe, [], "User: how to hurt someone");
        var unlabelled = Record(ids.Next(), CheckDirection.Prompt, GuardOutcome.Safe, [], "User: hello");
        await using (var store = await AuditStore.OpenAsync(new AuditStoreOptions { DatabasePath = db, ContentRetention = ContentRetention.Full, PurgeInterval = TimeSpan.Zero }))
        {
            foreach (var record in new[] { fine, missed, unlabelled })
            {
                await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
            }

            await store.LabelAsync(fine.Id, new Guardrail.Audit.Labelling.AuditLabelRequest { Label = AuditLabel.FalsePositive, Reviewer = "ana" }, CancellationToken.None);
            await store.LabelAsync(missed.Id, new Guardrail.Audit.Labelling.AuditLabelRequest { Label = AuditLabel.FalseNegative, Reviewer = "ana", Categories = ["S1"] }, CancellationToken.None);
            var set = _scratch.File("set.jsonl");
            await using (var writer = new StreamWriter(set))
            {
                await store.ExportAsync(new AuditQuery(), AuditExportFormat.EvaluationSet, writer, CancellationToken.None);
            }

            var items = EvaluationSetReader.Read(set).ToDictionary(i => i.Id);

            Assert.Equal(2, items.Count);
            Assert.False(items[fine.Id].ExpectedUnsafe);
            Assert.Equal(CheckDirection.Response, items[fine.Id].Direction);
            Assert.Equal(["Be kind."], items[fine.Id].Conversation.SystemMessages);
            Assert.Equal(["How do I bake bread?\n\nI have flour.", "Knead it well."], items[fine.Id].Conversation.Turns.Select(t => t.Text));
            Assert.True(items[missed.Id].ExpectedUnsafe);
            Assert.Equal(["S1"], items[missed.Id].ExpectedCategories);
            Assert.Equal("how to hurt someone", Assert.Single(items[missed.Id].Conversation.Turns).Text);
        }
    }

    private static AuditRecord Record(string id, CheckDirection direction, GuardOutcome verdict, string[] categories, string content) => new()
    {
        Id = id,
        Time = DateTimeOffset.UtcNow,
        Tenant = "team",
        Route = "chat",
        Model = "llama",
        Direction = direction,
        Verdict = verdict,
        Action = verdict == GuardOutcome.Unsafe ? ModerationAction.Block : ModerationAction.Allow,
        Categories = categories,
        UnsafeProbability = verdict == GuardOutcome.Unsafe ? 0.9 : 0.1,
        Threshold = 0.5,
        PolicyId = "default",
        PolicyVersion = "v1",
        Content = content,
    };

    private static string Describe(EvaluationItem item) =>
        $"{item.Id}|{item.Direction}|{item.ExpectedUnsafe}|{string.Join(',', item.ExpectedCategories)}|{string.Join("||", item.Conversation.Turns.Select(t => $"{t.Role}:{t.Text}"))}";

    private string Write(string name, params string[] lines)
    {
        var path = _scratch.File(name);
        File.WriteAllText(path, string.Join("\n", lines) + (lines.Length > 0 && lines[^1].Length > 0 ? "\n" : ""));
        return path;
    }
}
