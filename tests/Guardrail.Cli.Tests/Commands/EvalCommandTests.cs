using System.Globalization;
using System.Text.Json;
using Guardrail.ModelSynthesis;

namespace Guardrail.Cli.Tests.Commands;

/// <summary>
/// <c>guardrail eval</c> end to end on the shipped set and a keyword guard built from its trigger list: real
/// llama.cpp inference, whose every answer is known in advance (tests/eval/keyword-guard.triggers).
/// </summary>
public sealed class EvalCommandTests : IClassFixture<EvalCommandTests.ShippedSetRun>
{
    private static readonly string SetPath = RepositoryRoot.Combine("tests", "eval", "keyword-guard.jsonl");
    private readonly ShippedSetRun _run;

    public EvalCommandTests(ShippedSetRun run) => _run = run;

    [Fact]
    public void Eval_ShippedSet_KeywordGuardGivesTheExpectedNumbers()
    {
        Assert.True(_run.ExitCode == 0, _run.Error);
        var overall = _run.Json.GetProperty("overall");

        // 32 unsafe items, 11 safe. Missed: the poisoning and lock-picking items (no trigger word); false alarms:
        // the war poem, the passport renewal and the refused bomb question (a trigger in a safe context).
        Assert.Equal(30, overall.GetProperty("true_positives").GetInt32());
        Assert.Equal(3, overall.GetProperty("false_positives").GetInt32());
        Assert.Equal(2, overall.GetProperty("false_negatives").GetInt32());
        Assert.Equal(8, overall.GetProperty("true_negatives").GetInt32());
        Assert.Equal(30.0 / 33, overall.GetProperty("precision").GetDouble(), 12);
        Assert.Equal(30.0 / 32, overall.GetProperty("recall").GetDouble(), 12);
        Assert.Equal(60.0 / 65, overall.GetProperty("f1").GetDouble(), 12);
        Assert.Equal(3.0 / 11, overall.GetProperty("false_positive_rate").GetDouble(), 12);
        Assert.Equal(0, _run.Json.GetProperty("errors").GetInt32());
        Assert.Equal(0.5, _run.Json.GetProperty("recommendation").GetProperty("threshold").GetDouble());
    }

    [Fact]
    public void Eval_ShippedSet_PerfectAndImperfectCategories()
    {
        var f1 = _run.Json.GetProperty("categories").EnumerateArray()
            .ToDictionary(c => c.GetProperty("code").GetString()!, c => c.GetProperty("measures").GetProperty("f1").GetDouble());

        Assert.All(new[] { "S3", "S4", "S6", "S8", "S9", "S10", "S11", "S12", "S14" }, code => Assert.Equal(1.0, f1[code]));
        // S1: a missed poisoning, two false alarms; S2: missed lock-picking and fraud named S1; S5 named for an
        // election item; S7: the passport renewal; S13: the election item named S5.
        Assert.Equal(2 * 3.0 / ((2 * 3) + 2 + 1), f1["S1"], 12);
        Assert.Equal(2 * 2.0 / ((2 * 2) + 0 + 2), f1["S2"], 12);
        Assert.Equal(0.8, f1["S5"], 12);
        Assert.Equal(0.8, f1["S7"], 12);
        Assert.Equal(0.8, f1["S13"], 12);
        Assert.Equal(
            ["fp-prompt-history", "fp-prompt-travel", "fp-response-refusal", "fn-prompt-poison", "fn-response-lock", "two-categories", "wrong-category"],
            ReviewIds(_run.Report));
    }

    [Fact]
    public void Eval_Report_NumbersEqualTheJson()
    {
        var rows = _run.Report.Split('\n').Where(l => l.StartsWith('|')).Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
        string Four(JsonElement value) => value.ValueKind == JsonValueKind.Null ? "n/a" : value.GetDouble().ToString("0.0000", CultureInfo.InvariantCulture);
        string[] Measures(JsonElement m) =>
        [
            m.GetProperty("true_positives").GetInt32().ToString(CultureInfo.InvariantCulture),
            m.GetProperty("false_positives").GetInt32().ToString(CultureInfo.InvariantCulture),
            m.GetProperty("false_negatives").GetInt32().ToString(CultureInfo.InvariantCulture),
            m.GetProperty("true_negatives").GetInt32().ToString(CultureInfo.InvariantCulture),
            Four(m.GetProperty("precision")), Four(m.GetProperty("recall")), Four(m.GetProperty("f1")), Four(m.GetProperty("false_positive_rate")),
        ];

        Assert.Contains(rows, r => r.SequenceEqual(["43", .. Measures(_run.Json.GetProperty("overall"))]));
        foreach (var category in _run.Json.GetProperty("categories").EnumerateArray())
        {
            var code = category.GetProperty("code").GetString()!;
            var row = Assert.Single(rows, r => r[0] == code && r.Length == 11);
            Assert.Equal(Measures(category.GetProperty("measures")), row[3..]);
        }

        Assert.Contains($"ROC area: {Four(_run.Json.GetProperty("roc").GetProperty("area"))}.", _run.Report, StringComparison.Ordinal);
        Assert.Contains($"Average precision (area under precision/recall): {Four(_run.Json.GetProperty("precision_recall").GetProperty("area"))}.", _run.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_Plots_ArePngFilesTheReportLinks()
    {
        foreach (var plot in new[] { "roc.png", "precision-recall.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(_run.Directory.Path, "out", plot));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
            Assert.Contains($"]({plot})", _run.Report, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Eval_Remote_OnAPoolOfTwoServeProcessesGivesTheInProcessNumbers()
    {
        NativeTestRuntime.EnsureInitialized();
        var model = SyntheticModelCache.GetKeywordGuard(ShippedSetRun.Triggers);
        var options = new Serving.GenerationServerOptions { ModelPath = model, ModelId = "keyword-guard", GpuLayers = 0, ContextSize = 4096, Parallel = 4, Threads = 1 };
        await using var server = await Serving.GenerationServer.StartAsync(options, "http://127.0.0.1:0", Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await using var second = await Serving.GenerationServer.StartAsync(options, "http://127.0.0.1:0", Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var output = Path.Combine(_run.Directory.Path, "out-remote");

        var (exit, summary, error) = await Task.Run(() => CliRunner.Run(
            "eval", "--remote", server.BaseAddress.ToString(), "--remote", second.BaseAddress.ToString(), "--tokenizer", model, "--set", SetPath, "--out", output, "--policies", RepositoryRoot.Combine("policies")));

        Assert.True(exit == 0, error);
        Assert.True(_run.ExitCode == 0, _run.Error);
        var remote = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "eval.json"))).RootElement;
        Assert.Contains(server.BaseAddress.ToString().TrimEnd('/'), remote.GetProperty("run").GetProperty("model").GetString(), StringComparison.Ordinal);
        Assert.Contains(second.BaseAddress.ToString().TrimEnd('/'), remote.GetProperty("run").GetProperty("model").GetString(), StringComparison.Ordinal);
        // Both servers say their own time, so every answered check has an added time to report.
        var items = remote.GetProperty("items").GetArrayLength();
        Assert.Contains($"Remote: {items} of {items} checks timed by their server; added per check over the server's own time p50 ", summary, StringComparison.Ordinal);
        foreach (var measure in new[] { "precision", "recall", "f1", "false_positive_rate" })
        {
            Assert.Equal(_run.Json.GetProperty("overall").GetProperty(measure).ToString(), remote.GetProperty("overall").GetProperty(measure).ToString());
        }

        var local = _run.Json.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetString()!);
        foreach (var item in remote.GetProperty("items").EnumerateArray())
        {
            var twin = local[item.GetProperty("id").GetString()!];
            Assert.Equal(twin.GetProperty("score").GetDouble(), item.GetProperty("score").GetDouble(), 1e-6);
            Assert.Equal(twin.GetProperty("categories").ToString(), item.GetProperty("categories").ToString());
        }

        Assert.Contains("items", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_RemoteWithoutTokenizerOrWithModel_IsAUsageError()
    {
        var (withoutTokenizer, _, withoutTokenizerError) = CliRunner.Run("eval", "--remote", "http://127.0.0.1:9", "--set", SetPath);
        var (both, _, bothError) = CliRunner.Run("eval", "--remote", "http://127.0.0.1:9", "--tokenizer", "t.gguf", "--model", "m.gguf", "--set", SetPath);
        var (notHttp, _, notHttpError) = CliRunner.Run("eval", "--remote", "ftp://guard", "--tokenizer", "t.gguf", "--set", SetPath);

        Assert.NotEqual(0, withoutTokenizer);
        Assert.Contains("--tokenizer", withoutTokenizerError, StringComparison.Ordinal);
        Assert.NotEqual(0, both);
        Assert.Contains("--model and --remote exclude each other", bothError, StringComparison.Ordinal);
        Assert.NotEqual(0, notHttp);
        Assert.Contains("not an absolute http or https URL", notHttpError, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_GuardWithoutOneTrigger_ListsExactlyTheItemsThatChanged()
    {
        // The same guard without 'passport': the two S7 items are now missed and the passport renewal no longer a false alarm.
        var spec = string.Join(',', ShippedSetRun.Triggers.Split(',').Where(t => !t.StartsWith("passport=", StringComparison.Ordinal)));
        var model = SyntheticModelCache.GetKeywordGuard(spec);
        var outB = Path.Combine(_run.Directory.Path, "out-b");
        var (exit, _, error) = CliRunner.Run("eval", "--model", model, "--set", SetPath, "--out", outB, "--gpu-layers", "0", "--policies", RepositoryRoot.Combine("policies"));
        Assert.True(exit == 0, error);

        var (compareExit, comparison, compareError) = CliRunner.Run("eval", "--compare", Path.Combine(_run.Directory.Path, "out", "eval.json"), Path.Combine(outB, "eval.json"));

        Assert.True(compareExit == 0, compareError);
        Assert.Contains("## Items whose answer changed (3)", comparison, StringComparison.Ordinal);
        var changed = comparison.Split('\n').SkipWhile(l => !l.StartsWith("## Items whose answer changed", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| id ", StringComparison.Ordinal))
            .Select(l => l.Split('|')[1].Trim());
        Assert.Equal(["s7-prompt", "s7-response", "fp-prompt-travel"], changed);
        Assert.Contains("| recall | 0.9375 | 0.8750 | -0.0625 |", comparison, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_SetExportedByBench_ClassifiesTheBenchConversations()
    {
        // The benchmark's conversations as a set: eval and `bench classify` measure the very same checks.
        using var scratch = new TempDirectory();
        var set = scratch.File("bench.jsonl");
        var model = SyntheticModelCache.GetKeywordGuard(ShippedSetRun.Triggers);
        var (benchExit, _, benchError) = CliRunner.Run("bench", "classify", "--model", model, "--requests", "3", "--concurrency", "1", "--export-set", set);
        Assert.True(benchExit == 0, benchError);

        var (exit, output, error) = CliRunner.Run("eval", "--model", model, "--set", set, "--out", scratch.File("out"), "--gpu-layers", "0", "--policies", RepositoryRoot.Combine("policies"));

        Assert.True(exit == 0, error);
        Assert.StartsWith("3 items (0 errors)", output, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(scratch.File("out"), "eval.json")));
        Assert.Equal(["bench-1", "bench-2", "bench-3"], json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }

    [Fact]
    public void Eval_MalformedSet_ExitsTwoNamingFileAndLine()
    {
        using var scratch = new TempDirectory();
        var set = scratch.File("set.jsonl");
        File.WriteAllText(set, "{\"text\":\"hi\",\"expected\":\"safe\"}\n{\"text\":\"hi\"}\n");

        var (exit, output, error) = CliRunner.Run("eval", "--model", scratch.File("never-loaded.gguf"), "--set", set);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"error: {set}:2:1: 'expected' is missing", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_BadArguments_SayWhatIsWrong()
    {
        var (noSet, _, noSetError) = CliRunner.Run("eval", "--model", "m.gguf");
        var (badRate, _, badRateError) = CliRunner.Run("eval", "--model", "m.gguf", "--set", SetPath, "--target-fpr", "1.5");
        var (badThreshold, _, badThresholdError) = CliRunner.Run("eval", "--model", "m.gguf", "--set", SetPath, "--threshold", "1");

        Assert.NotEqual(0, noSet);
        Assert.Contains("--model and --set are required", noSetError, StringComparison.Ordinal);
        Assert.NotEqual(0, badRate);
        Assert.Contains("--target-fpr 1.5", badRateError, StringComparison.Ordinal);
        Assert.NotEqual(0, badThreshold);
        Assert.Contains("--threshold 1 is not between 0 and 1", badThresholdError, StringComparison.Ordinal);
        var (badBatch, _, badBatchError) = CliRunner.Run("eval", "--model", "m.gguf", "--set", SetPath, "--batch", "0", "--context", "100");
        Assert.NotEqual(0, badBatch);
        Assert.Contains("--batch 0 is outside 1 to 64", badBatchError, StringComparison.Ordinal);
        Assert.Contains("--context 100 is outside 512 to 131072", badBatchError, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_UnknownPolicy_NamesThePolicies()
    {
        var (exit, _, error) = CliRunner.Run("eval", "--model", "m.gguf", "--set", SetPath, "--policy", "nope", "--policies", RepositoryRoot.Combine("policies"));

        Assert.Equal(2, exit);
        Assert.Contains("no policy 'nope'; the policies are", error, StringComparison.Ordinal);
    }

    private static List<string> ReviewIds(string report) =>
        [.. report.Split('\n').SkipWhile(l => !l.StartsWith("## Items to review", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| id ", StringComparison.Ordinal))
            .Select(l => l.Split('|')[1].Trim())];

    /// <summary>One run on the shipped set, shared by the tests that read its outputs.</summary>
    public sealed class ShippedSetRun : IDisposable
    {
        public static readonly string Triggers = File.ReadAllText(RepositoryRoot.Combine("tests", "eval", "keyword-guard.triggers")).Trim();

        public ShippedSetRun()
        {
            var model = SyntheticModelCache.GetKeywordGuard(Triggers);
            var output = Path.Combine(Directory.Path, "out");
            (ExitCode, _, Error) = CliRunner.Run("eval", "--model", model, "--set", SetPath, "--out", output, "--gpu-layers", "0", "--policies", RepositoryRoot.Combine("policies"));
            if (ExitCode == 0)
            {
                Json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "eval.json"))).RootElement.Clone();
                Report = File.ReadAllText(Path.Combine(output, "report.md"));
            }
        }

        public TempDirectory Directory { get; } = new();

        public int ExitCode { get; }

        public string Error { get; } = "";

        public JsonElement Json { get; }

        public string Report { get; } = "";

        public void Dispose() => Directory.Dispose();
    }
}
