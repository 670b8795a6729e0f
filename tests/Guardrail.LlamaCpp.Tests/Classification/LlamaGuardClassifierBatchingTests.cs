using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.LlamaCpp.Classification;
using Guardrail.LlamaCpp.Native;
using Guardrail.ModelSynthesis;
using Guardrail.Taxonomy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.LlamaCpp.Tests.Classification;

/// <summary>Batching, prefix reuse, deadlines and KV hygiene of the classifier engine, on real llama.cpp inference.</summary>
public sealed class LlamaGuardClassifierBatchingTests : IClassFixture<KeywordGuardClassifierFixture>
{
    private readonly KeywordGuardClassifierFixture _fixture;

    public LlamaGuardClassifierBatchingTests(KeywordGuardClassifierFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task ConcurrentChecks_AreDecodedTogetherAndReuseThePrefix()
    {
        using var classifier = Load(_fixture.ModelPath, options => options with { MaxBatchSequences = 4 });
        var texts = Enumerable.Range(0, 24).Select(i => (i % 3) switch { 0 => $"bomb {i}", 1 => $"violin {i}", _ => $"weather {i}" }).ToList();

        var verdicts = await Task.WhenAll(texts.Select(t => classifier.ClassifyAsync(Request(t), CancellationToken.None).AsTask()));

        for (var i = 0; i < texts.Count; i++)
        {
            Assert.Equal((i % 3) switch { 0 => ["S1"], 1 => ["S10"], _ => Array.Empty<string>() }, verdicts[i].Categories);
        }

        var statistics = classifier.Statistics;
        Assert.Equal(24, statistics.Requests);
        Assert.True(statistics.LargestBatch > 1, $"largest batch {statistics.LargestBatch}");
        Assert.Equal(1, statistics.PrefixMisses);
        Assert.Equal(23, statistics.PrefixHits);
        // The prefix (instructions and the 14 category lines) is well over 100 tokens, reused by every check but the first.
        Assert.True(statistics.TokensReused >= 23 * 100 && statistics.TokensReused % 23 == 0, $"reused {statistics.TokensReused}");
        Assert.True(classifier.RequestSequencesAreEmpty);
    }

    [Fact]
    public async Task SixtyFourMixedChecks_RepeatedSoSequencesAreReused_EachGetsItsOwnVerdict()
    {
        // 128 checks queue behind each other on a loaded machine: the deadline must not be what the test measures.
        using var classifier = Load(_fixture.ModelPath, options => options with { MaxBatchSequences = 8, PrefixCacheSize = 2, RequestTimeout = TimeSpan.FromMinutes(10) });
        var few = _fixture.Taxonomy.Categories.Take(10).ToList();
        var checks = Enumerable.Range(0, 64).Select(i =>
        {
            var word = (i % 3) switch { 0 => "bomb", 1 => "violin", _ => "weather" };
            var direction = i % 2 == 0 ? CheckDirection.Prompt : CheckDirection.Response;
            var conversation = direction == CheckDirection.Prompt
                ? new ConversationBuilder().AddUser($"tell me about the {word} ({i})").Build()
                : new ConversationBuilder().AddUser($"question {i}").AddAssistant($"an answer about the {word}").Build();
            var request = new GuardRequest { Conversation = conversation, Direction = direction, Categories = i % 4 < 2 ? _fixture.Taxonomy.Categories : few };
            string[] expected = (i % 3) switch { 0 => ["S1"], 1 => ["S10"], _ => [] };
            return (Request: request, Expected: expected);
        }).ToList();

        for (var round = 0; round < 2; round++)
        {
            var verdicts = await Task.WhenAll(checks.Select(c => classifier.ClassifyAsync(c.Request, CancellationToken.None).AsTask()));
            for (var i = 0; i < checks.Count; i++)
            {
                Assert.True(verdicts[i].Outcome != GuardOutcome.Error, verdicts[i].Error);
                Assert.Equal(checks[i].Expected, verdicts[i].Categories);
                VerdictAssert.Outcome(checks[i].Expected.Length == 0 ? GuardOutcome.Safe : GuardOutcome.Unsafe, verdicts[i]);
            }
        }

        Assert.True(classifier.RequestSequencesAreEmpty);
        Assert.Equal(128, classifier.Statistics.Requests);
    }

    [Fact]
    public async Task PrefixReuse_GivesTheSameScoresAsDecodingEveryPromptWhole()
    {
        var model = SyntheticModelCache.GetRandom("tiny");
        using var reusing = Load(model, options => options with { PrefixReuse = true });
        using var whole = Load(model, options => options with { PrefixReuse = false });
        var texts = new[] { "hello there", "what is the capital of France?", "a longer message about the weather and the sea" };

        foreach (var text in texts)
        {
            var a = await reusing.ClassifyAsync(Request(text), CancellationToken.None);
            var b = await whole.ClassifyAsync(Request(text), CancellationToken.None);

            Assert.NotNull(a.UnsafeProbability);
            Assert.Equal(Math.Log(b.UnsafeProbability!.Value), Math.Log(a.UnsafeProbability!.Value), 2);
            Assert.Equal(b.RawOutput, a.RawOutput);
        }

        Assert.Equal(0, whole.Statistics.TokensReused);
        Assert.True(reusing.Statistics.TokensReused > 0);
    }

    [Fact]
    public async Task PrefixCache_WhenFull_EvictsTheLeastRecentlyUsedAndStaysCorrect()
    {
        using var classifier = Load(_fixture.ModelPath, options => options with { PrefixCacheSize = 1 });
        var all = _fixture.Taxonomy.Categories;
        var some = all.Take(5).ToList();

        foreach (var categories in new[] { all, some, all, some })
        {
            var verdict = await classifier.ClassifyAsync(Request("a bomb", categories), CancellationToken.None);
            Assert.Equal(["S1"], verdict.Categories);
        }

        Assert.Equal(4, classifier.Statistics.PrefixMisses);
        Assert.True(classifier.RequestSequencesAreEmpty);
    }

    [Fact]
    public async Task Deadline_ExpiredBeforeAVerdict_IsAClassifierErrorNotSafe()
    {
        using var classifier = Load(_fixture.ModelPath, options => options with { RequestTimeout = TimeSpan.FromTicks(1) });

        var verdict = await classifier.ClassifyAsync(Request(string.Concat(Enumerable.Repeat("weather ", 1500))), CancellationToken.None);

        VerdictAssert.Outcome(GuardOutcome.Error, verdict);
        Assert.Contains("did not answer within", verdict.Error, StringComparison.Ordinal);
    }

    private LlamaGuardClassifier Load(string model, Func<LlamaGuardClassifierOptions, LlamaGuardClassifierOptions> configure) =>
        LlamaGuardClassifier.Load(
            configure(new LlamaGuardClassifierOptions { RequestTimeout = VerdictAssert.CheckDeadline, ModelPath = model, ContextSize = 2048, GpuLayers = 0 }),
            new NativeRuntimeOptions { ForwardNativeLogs = false },
            NullLoggerFactory.Instance);

    private GuardRequest Request(string text, IReadOnlyList<HazardCategory>? categories = null) => new()
    {
        Conversation = new ConversationBuilder().AddUser(text).Build(),
        Direction = CheckDirection.Prompt,
        Categories = categories ?? _fixture.Taxonomy.Categories,
    };
}
