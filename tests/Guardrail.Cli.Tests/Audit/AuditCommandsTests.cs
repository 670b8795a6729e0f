using System.CommandLine;
using System.Text.Json;
using Guardrail.Audit;
using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Cli.Commands;
using Guardrail.Conversations;
using Guardrail.Policies;

namespace Guardrail.Cli.Tests.Audit;

public sealed class AuditCommandsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "guardrail-cli-audit-tests", Guid.NewGuid().ToString("N"));
    private readonly AuditIdGenerator _ids = new(TimeProvider.System);
    private string _db = "";
    private AuditRecord _blockedViolent = null!;
    private AuditRecord _flagged = null!;
    private AuditRecord _allowedOld = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _db = Path.Combine(_directory, "audit.db");
        _allowedOld = Record(Now.AddDays(-3), "team-b", CheckDirection.Prompt, GuardOutcome.Safe, ModerationAction.Allow, [], "bake some bread");
        _flagged = Record(Now.AddHours(-2), "team-a", CheckDirection.Response, GuardOutcome.Unsafe, ModerationAction.Flag, ["S10"], "a rude reply");
        _blockedViolent = Record(Now.AddHours(-1), "team-a", CheckDirection.Prompt, GuardOutcome.Unsafe, ModerationAction.Block, ["S1", "S9"],
            "how to hurt someone, \"quietly\"\nwith details") with { KeyId = "key-a" };
        await using var store = await AuditStore.OpenAsync(new AuditStoreOptions
        {
            DatabasePath = _db,
            ContentRetention = ContentRetention.Full,
            PurgeInterval = TimeSpan.Zero,
        });
        foreach (var record in new[] { _allowedOld, _flagged, _blockedViolent })
        {
            await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task List_PostgresUrl_ReadsTheSharedDatabaseAsItReadsAFile()
    {
        var database = new Npgsql.NpgsqlConnectionStringBuilder(await (await PostgresServer.SharedAsync()).CreateDatabaseAsync());
        await using (var store = await AuditStore.OpenAsync(new AuditStoreOptions
        {
            ConnectionString = database.ConnectionString,
            ContentRetention = ContentRetention.Full,
            PurgeInterval = TimeSpan.Zero,
        }))
        {
            foreach (var record in new[] { _allowedOld, _flagged, _blockedViolent })
            {
                await store.WriteAsync(record, AuditDurability.Full, CancellationToken.None);
            }
        }

        var url = $"postgres://{database.Username}@{database.Host}:{database.Port}/{database.Database}";
        var (exit, output, _) = await RunAsync("audit", "list", "--db", url, "--limit", "2");
        var (fileExit, fileOutput, _) = await RunAsync("audit", "list", "--db", _db, "--limit", "2");

        Assert.Equal(0, exit);
        Assert.Equal(0, fileExit);
        Assert.Equal(fileOutput, output);
        Assert.Contains(_blockedViolent.Id, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_PostgresUnreachable_SaysSoWithoutPasswordOrStackTrace()
    {
        var (exit, output, error) = await RunAsync("audit", "list", "--db", "postgres://guardrail:hunter2@127.0.0.1:1/guardrail");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.StartsWith("The audit database could not be opened: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_Table_ShowsDecisionsNewestFirstWithNextCursor()
    {
        var (exit, output, _) = await RunAsync("audit", "list", "--db", _db, "--limit", "2");

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID", lines[0], StringComparison.Ordinal);
        Assert.StartsWith(_blockedViolent.Id, lines[1], StringComparison.Ordinal);
        Assert.Contains("S1,S9", lines[1], StringComparison.Ordinal);
        Assert.StartsWith(_flagged.Id, lines[2], StringComparison.Ordinal);
        Assert.Equal($"2 of 3 matching decisions shown. Next page: --after {_flagged.Id}", lines[3]);

        var (_, next, _) = await RunAsync("audit", "list", "--db", _db, "--limit", "2", "--after", _flagged.Id, "--format", "jsonl");
        Assert.Equal([_allowedOld.Id], Ids(next));
    }

    [Theory]
    [InlineData(new[] { "--action", "block" }, "blocked")]
    [InlineData(new[] { "--category", "S10" }, "flagged")]
    [InlineData(new[] { "--direction", "response" }, "flagged")]
    [InlineData(new[] { "--verdict", "safe" }, "old")]
    [InlineData(new[] { "--tenant", "team-b" }, "old")]
    [InlineData(new[] { "--policy", "strict" }, "blocked")]
    [InlineData(new[] { "--since", "90m" }, "blocked")]
    [InlineData(new[] { "--until", "2026-11-22T00:00:00Z" }, "old")]
    [InlineData(new[] { "--search", "bread" }, "old")]
    [InlineData(new[] { "--action", "BLOCK", "--category", "S9", "--tenant", "team-a" }, "blocked")]
    [InlineData(new[] { "--category", "s9" }, "blocked")]
    [InlineData(new[] { "--since", "2026-11-22T10:30:00Z" }, "blocked")]
    [InlineData(new[] { "--until", "1d" }, "old")]
    [InlineData(new[] { "--key-id", "key-a" }, "blocked")]
    [InlineData(new[] { "--action", "block", "--route", "chat", "--model", "llama-3.1-8b" }, "blocked")]
    [InlineData(new[] { "--unlabelled", "--tenant", "team-b" }, "old")]
    [InlineData(new[] { "--sort", "oldest", "--limit", "1" }, "old")]
    public async Task List_Filter_ReturnsOnlyMatchingDecisions(string[] filter, string expected)
    {
        var (exit, output, error) = await RunAsync(["audit", "list", "--db", _db, "--format", "jsonl", .. filter]);

        Assert.True(exit == 0, error);
        var expectedId = expected switch
        {
            "blocked" => _blockedViolent.Id,
            "flagged" => _flagged.Id,
            _ => _allowedOld.Id,
        };
        Assert.Equal([expectedId], Ids(output));
    }

    [Fact]
    public async Task List_InvalidFilters_ListsEveryProblemAndExitsTwo()
    {
        var (exit, _, error) = await RunAsync("audit", "list", "--db", _db, "--action", "nuke", "--direction", "sideways",
            "--since", "yesterday-ish", "--limit", "0");

        Assert.Equal(2, exit);
        Assert.Contains("--action is 'nuke': use one of allow, flag, block.", error, StringComparison.Ordinal);
        Assert.Contains("--direction is 'sideways'", error, StringComparison.Ordinal);
        Assert.Contains("--since is 'yesterday-ish'", error, StringComparison.Ordinal);
        Assert.Contains("--limit is '0': use 1 to 1000.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_MissingDatabase_ExitsOneAndCreatesNothing()
    {
        var missing = Path.Combine(_directory, "nope.db");

        var (exit, _, error) = await RunAsync("audit", "list", "--db", missing);

        Assert.Equal(1, exit);
        Assert.Contains("No audit database", error, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task Show_ExistingId_PrintsVerdictAndConversation()
    {
        var (exit, output, _) = await RunAsync("audit", "show", _blockedViolent.Id, "--db", _db);

        Assert.Equal(0, exit);
        Assert.Contains("action            block", output, StringComparison.Ordinal);
        Assert.Contains("categories        S1, S9", output, StringComparison.Ordinal);
        Assert.Contains("how to hurt someone, \"quietly\"\nwith details", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_UnknownId_ExitsOne()
    {
        var (exit, _, error) = await RunAsync("audit", "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--db", _db);

        Assert.Equal(1, exit);
        Assert.Contains("No decision", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Label_FalsePositive_IsStoredAndFilterable()
    {
        var (exit, output, error) = await RunAsync("audit", "label", _flagged.Id, "--db", _db, "--label", "false_positive",
            "--reviewer", "ana", "--note", "sarcasm", "--format", "jsonl");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("false_positive", json.RootElement.GetProperty("label").GetString());
        Assert.Equal("ana", json.RootElement.GetProperty("reviewer").GetString());
        Assert.Equal("sarcasm", json.RootElement.GetProperty("label_note").GetString());
        var (_, labelled, _) = await RunAsync("audit", "list", "--db", _db, "--label", "false_positive", "--format", "jsonl");
        Assert.Equal([_flagged.Id], Ids(labelled));
        var (_, unlabelled, _) = await RunAsync("audit", "list", "--db", _db, "--label", "none", "--format", "jsonl");
        Assert.Equal([_blockedViolent.Id, _allowedOld.Id], Ids(unlabelled));
    }

    [Fact]
    public async Task Label_InvalidArguments_ListsEveryProblemAndChangesNothing()
    {
        var (exit, _, error) = await RunAsync("audit", "label", _flagged.Id, "--db", _db, "--label", "wrong", "--reviewer", " ");

        Assert.Equal(2, exit);
        Assert.Contains("--label 'wrong'", error, StringComparison.Ordinal);
        var (_, unlabelled, _) = await RunAsync("audit", "list", "--db", _db, "--label", "none", "--format", "jsonl");
        Assert.Equal(3, Ids(unlabelled).Length);
    }

    [Fact]
    public async Task Label_CategoriesOnConfirmed_Rejected()
    {
        var (exit, _, error) = await RunAsync("audit", "label", _flagged.Id, "--db", _db, "--label", "confirmed", "--reviewer", "ana",
            "--category", "S2");

        Assert.Equal(2, exit);
        Assert.Contains("--categories can only be given with a false_negative label", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_CsvToFile_WritesQuotedRowsForTheFilter()
    {
        var file = Path.Combine(_directory, "out.csv");

        var (exit, _, error) = await RunAsync("audit", "export", "--db", _db, "--format", "csv", "--action", "block", "-o", file);

        Assert.Equal(0, exit);
        Assert.Contains("Exported 1 decisions", error, StringComparison.Ordinal);
        var text = await File.ReadAllTextAsync(file);
        Assert.StartsWith("id,time,tenant,", text, StringComparison.Ordinal);
        Assert.Contains("\"how to hurt someone, \"\"quietly\"\"\nwith details\"", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_Eval_AfterLabellingFalseNegative_HoldsTheExpectedAnswer()
    {
        await RunAsync("audit", "label", _allowedOld.Id, "--db", _db, "--label", "false_negative", "--reviewer", "ana",
            "--category", "S2", "--category", "S11");

        var (exit, output, error) = await RunAsync("audit", "export", "--db", _db, "--format", "eval");

        Assert.Equal(0, exit);
        Assert.Contains("skipped 2", error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(output.Trim());
        Assert.Equal("bake some bread", json.RootElement.GetProperty("conversation").GetString());
        Assert.Equal("unsafe", json.RootElement.GetProperty("expected").GetProperty("verdict").GetString());
        Assert.Equal(["S2", "S11"], json.RootElement.GetProperty("expected").GetProperty("categories").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Stats_LastDay_CountsByActionAndCategory()
    {
        var (exit, output, _) = await RunAsync("audit", "stats", "--db", _db, "--since", "24h");

        Assert.Equal(0, exit);
        Assert.Contains("total: 2\n", output, StringComparison.Ordinal);
        Assert.Contains("by action: block=1 flag=1\n", output, StringComparison.Ordinal);
        Assert.Contains("by category: S1=1 S10=1 S9=1\n", output, StringComparison.Ordinal);
        Assert.Contains("by label: -\n", output, StringComparison.Ordinal);

        var (_, json, _) = await RunAsync("audit", "stats", "--db", _db, "--format", "jsonl");
        using var document = JsonDocument.Parse(json);
        Assert.Equal(3, document.RootElement.GetProperty("total").GetInt64());
        Assert.Equal(1, document.RootElement.GetProperty("by_direction").GetProperty("response").GetInt64());
    }

    private static string[] Ids(string jsonLines) =>
        [.. jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!)];

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(AuditCommands.Create(new FixedTimeProvider(Now)));
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private AuditRecord Record(DateTimeOffset time, string tenant, CheckDirection direction, GuardOutcome verdict, ModerationAction action,
        string[] categories, string content) => new()
        {
            Id = _ids.Next(),
            Time = time,
            Tenant = tenant,
            Route = "chat",
            Model = "llama-3.1-8b",
            Direction = direction,
            Verdict = verdict,
            Action = action,
            Categories = categories,
            UnsafeProbability = verdict == GuardOutcome.Unsafe ? 0.93 : 0.02,
            Threshold = 0.5,
            PolicyId = action == ModerationAction.Block ? "strict" : "default",
            PolicyVersion = "v1",
            Content = content,
        };

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
