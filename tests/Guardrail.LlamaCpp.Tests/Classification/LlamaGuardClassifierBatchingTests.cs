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
        // The same prompt again would continue its own cached conversation: only the prefix cache is under test.
        using var classifier = Load(_fixture.ModelPath, options => options with { PrefixCacheSize = 1, ConversationCacheTokens = 0 });
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
    public async Task ConversationReuse_ChatCheckedAtEveryTurn_GivesTheScoresOfWholeDecodingAndDecodesOnlyWhatIsNew()
    {
        var model = SyntheticModelCache.GetRandom("tiny");
        using var reusing = Load(model, options => options);
        using var whole = Load(model, options => options with { PrefixReuse = false });
        var chat = new ConversationBuilder();
        var previousLength = new Dictionary<CheckDirection, long>();
        var turns = 5;

        for (var turn = 0; turn < turns; turn++)
        {
            chat.AddUser($"turn {turn}: tell me something about the sea, the weather and the ships ({turn})");
            var promptCheck = new GuardRequest { Conversation = chat.Build(), Direction = CheckDirection.Prompt, Categories = _fixture.Taxonomy.Categories };
            chat.AddAssistant($"answer {turn}: the sea is calm today and the ships are in the harbour");
            var responseCheck = new GuardRequest { Conversation = chat.Build(), Direction = CheckDirection.Response, Categories = _fixture.Taxonomy.Categories };

            foreach (var request in new[] { promptCheck, responseCheck })
            {
                var (reusedBefore, wholeBefore) = (reusing.Statistics.TokensPrefilled, whole.Statistics.TokensPrefilled);
                var a = await reusing.ClassifyAsync(request, CancellationToken.None);
                var b = await whole.ClassifyAsync(request, CancellationToken.None);
                var (decoded, length) = (reusing.Statistics.TokensPrefilled - reusedBefore, whole.Statistics.TokensPrefilled - wholeBefore);

                Assert.True(Math.Abs(a.UnsafeProbability!.Value - b.UnsafeProbability!.Value) <= 1e-6, $"turn {turn} {request.Direction}: {a.UnsafeProbability} vs {b.UnsafeProbability}");
                // The verdict the first token decides is equal; the random model's greedy text after it is not
                // compared: its logits are near ties, and the two KV layouts round differently (one machine's CPU
                // flipped a later token while P(unsafe) agreed to 1e-6).
                Assert.Equal(b.Outcome, a.Outcome);
                Assert.Equal(b.Categories, a.Categories);
                if (previousLength.TryGetValue(request.Direction, out var previous))
                {
                    // What is new since this role's previous check: one message of each side, and the closing lines
                    // (at most 64 tokens) that the previous check's cached prompt ended with instead.
                    Assert.True(decoded < (length - previous) + 64, $"turn {turn} {request.Direction}: decoded {decoded} of {length}, the previous {previous}");
                }

                previousLength[request.Direction] = length;
            }
        }

        Assert.Equal(2 * (turns - 1), reusing.Statistics.ConversationHits);
        Assert.Equal(0, whole.Statistics.ConversationHits);
        // One entry per role: each continued check replaced the one it continued.
        Assert.Equal(2, reusing.ConversationCacheUse.Entries);
        Assert.True(reusing.RequestSequencesAreEmpty);
    }

    [Fact]
    public async Task ConversationReuse_AnotherTenantsIdenticalChat_IsDecodedAfreshNeverFromTheFirstTenantsCells()
    {
        using var classifier = Load(_fixture.ModelPath, options => options);
        var first = new ConversationBuilder().AddUser("what is a violin?").Build();
        var second = new ConversationBuilder().AddUser("what is a violin?").AddAssistant("an instrument").AddUser("and a bomb?").Build();
        GuardRequest Check(Conversation conversation, string tenant) =>
            new() { Conversation = conversation, Direction = CheckDirection.Prompt, Categories = _fixture.Taxonomy.Categories, Tenant = tenant };

        await classifier.ClassifyAsync(Check(first, "team-a"), CancellationToken.None);
        var other = await classifier.ClassifyAsync(Check(second, "team-b"), CancellationToken.None);
        Assert.Equal(0, classifier.Statistics.ConversationHits);
        var own = await classifier.ClassifyAsync(Check(second, "team-a"), CancellationToken.None);

        Assert.Equal(1, classifier.Statistics.ConversationHits);
        Assert.Equal(["S1"], other.Categories);
        Assert.Equal(["S1"], own.Categories);
    }

    [Fact]
    public async Task ConversationCache_ManyChats_StaysWithinItsEntriesAndTokensAndStaysCorrect()
    {
        using var classifier = Load(_fixture.ModelPath, options => options with { ConversationCacheSize = 3, ConversationCacheTokens = 1200 });
        var chats = Enumerable.Range(0, 6).Select(_ => new ConversationBuilder()).ToList();
        var flagged = new bool[chats.Count];

        for (var turn = 0; turn < 3; turn++)
        {
            for (var c = 0; c < chats.Count; c++)
            {
                var word = (c + turn) % 3 == 0 ? "bomb" : "weather";
                chats[c].AddUser($"chat {c} turn {turn}: the {word}");
                // The keyword guard flags a conversation in which the word was ever said.
                flagged[c] |= word == "bomb";
                var verdict = await classifier.ClassifyAsync(
                    new GuardRequest { Conversation = chats[c].Build(), Direction = CheckDirection.Prompt, Categories = _fixture.Taxonomy.Categories },
                    CancellationToken.None);
                Assert.Equal(flagged[c] ? ["S1"] : Array.Empty<string>(), verdict.Categories);
                chats[c].AddAssistant("noted");

                var (entries, tokens) = classifier.ConversationCacheUse;
                Assert.True(entries <= 3 && tokens <= 1200, $"{entries} entries, {tokens} tokens");
            }
        }

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
