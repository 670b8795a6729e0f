using Guardrail.LlamaCpp.Generation;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.LlamaCpp.Tests.Generation;

/// <summary>
/// A sequence keeps its KV cells after its request, and the next prompt that shares a prefix with them decodes only
/// the rest: the answer is the one a whole decode gives, and the engine says how many tokens it took from the cells.
/// </summary>
public sealed class GenerationEnginePromptReuseTests
{
    private static GenerationEngine LoadScripted(bool reusePrompts)
    {
        NativeTestRuntime.EnsureInitialized();
        return GenerationEngine.Load(
            new GenerationEngineOptions { ModelPath = TestAssets.ScriptedGenerator.Path, GpuLayers = 0, ContextSize = 256, Parallel = 2, Threads = 2, ReusePrompts = reusePrompts },
            new NativeRuntimeOptions { ForwardNativeLogs = false },
            NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task Generate_SamePromptAgain_TakesAllButItsLastTokenFromTheCellsAndAnswersTheSame()
    {
        using var engine = LoadScripted(reusePrompts: true);
        var request = Generations.Chat(engine, "Tell me something.");

        var first = await Generations.ReadAsync(engine.Generate(request));
        var second = await Generations.ReadAsync(engine.Generate(request));

        Assert.Equal(0, first.Finish.CachedPromptTokens);
        Assert.Equal(request.PromptTokens.Count - 1, second.Finish.CachedPromptTokens);
        Assert.Equal(TestAssets.ScriptedGenerator.Answer, second.Text);
        Assert.Equal(first.Text, second.Text);
        Assert.True(engine.KvCellsMatchTheirTokens);
        Assert.Equal(request.PromptTokens.Count - 1, engine.PromptTokensReused);
        Assert.Equal(request.PromptTokens.Count + 1, engine.PromptTokensDecoded);
    }

    [Fact]
    public async Task Generate_NextTurnOfAChat_DecodesOnlyWhatTheEarlierTurnDidNotHoldAndAnswersAsAWholeDecode()
    {
        using var reusing = LoadScripted(reusePrompts: true);
        using var whole = LoadScripted(reusePrompts: false);
        var firstTurn = Generations.Chat(reusing, "Hello");
        var answer = (await Generations.ReadAsync(reusing.Generate(firstTurn))).Text;
        var secondTurn = Generations.Chat(reusing, "unused") with
        {
            PromptTokens = reusing.TokenizeChat([new ChatMessage(ChatRole.User, "Hello"), new ChatMessage(ChatRole.Assistant, answer), new ChatMessage(ChatRole.User, $"And the {TestAssets.ScriptedGenerator.TriggerWord}?")]),
        };

        var reused = await Generations.ReadAsync(reusing.Generate(secondTurn));
        var decodedWhole = await Generations.ReadAsync(whole.Generate(secondTurn));

        // The first turn's prompt is a prefix of the second's, and its cells also hold the answer's tokens.
        Assert.InRange(reused.Finish.CachedPromptTokens, firstTurn.PromptTokens.Count, secondTurn.PromptTokens.Count - 1);
        Assert.Equal(0, decodedWhole.Finish.CachedPromptTokens);
        Assert.Equal(TestAssets.ScriptedGenerator.FlaggedAnswer, reused.Text);
        Assert.Equal(decodedWhole.Text, reused.Text);
        Assert.Equal(firstTurn.PromptTokens.Count + secondTurn.PromptTokens.Count, reusing.PromptTokensReused + reusing.PromptTokensDecoded);
        Assert.True(reusing.KvCellsMatchTheirTokens);
        Assert.True(whole.AllSequencesAreEmpty);
    }

    [Fact]
    public async Task Generate_Logprobs_AreThoseOfAWholeDecode()
    {
        // The random model: its distributions are far from one-hot, so a wrong cell would show in every logprob.
        using var reusing = GenerationEngineSchedulingTests.Load(parallel: 1, queueCapacity: 4);
        using var whole = GenerationEngineSchedulingTests.Load(parallel: 1, queueCapacity: 4, reusePrompts: false);
        var request = GenerationEngineSchedulingTests.Long(reusing) with { MaxTokens = 1, Logprobs = true, TopLogprobs = 5 };
        var longer = request with { PromptTokens = [.. request.PromptTokens, .. reusing.TokenizeText(" there lived a king")[1..]] };

        await Generations.ReadAsync(reusing.Generate(request));
        var reused = await Generations.ReadAsync(reusing.Generate(longer));
        var decodedWhole = await Generations.ReadAsync(whole.Generate(longer));

        Assert.Equal(request.PromptTokens.Count, reused.Finish.CachedPromptTokens);
        var expected = Assert.Single(decodedWhole.Chunks.SelectMany(c => c.Logprobs));
        var actual = Assert.Single(reused.Chunks.SelectMany(c => c.Logprobs));
        Assert.Equal(expected.Token, actual.Token);
        Assert.Equal(expected.Logprob, actual.Logprob, 1e-4);
        Assert.Equal(expected.TopLogprobs.Select(t => t.Token), actual.TopLogprobs.Select(t => t.Token));
        Assert.All(expected.TopLogprobs.Zip(actual.TopLogprobs), pair => Assert.Equal(pair.First.Logprob, pair.Second.Logprob, 1e-4));
    }

    [Fact]
    public async Task Generate_TwoKeptPrompts_EachReturningPromptTakesTheSequenceThatHoldsIt()
    {
        using var engine = GenerationEngineSchedulingTests.Load(parallel: 2, queueCapacity: 4);
        var held = GenerationEngineSchedulingTests.Long(engine);
        var other = held with { PromptTokens = engine.TokenizeText("Far away, beyond the mountains"), MaxTokens = 3 };
        using (var cancel = new CancellationTokenSource())
        {
            // The held generation keeps one sequence busy, so the other prompt lands in the second one.
            var running = engine.Generate(held, cancel.Token);
            await GenerationEngineSchedulingTests.FirstChunkAsync(running);
            await Generations.ReadAsync(engine.Generate(other));
            await cancel.CancelAsync();
            await running.Finished.WaitAsync(Generations.Deadline);
        }

        var heldAgain = await Generations.ReadAsync(engine.Generate(held with { MaxTokens = 3 }));
        var otherAgain = await Generations.ReadAsync(engine.Generate(other));

        Assert.Equal(held.PromptTokens.Count - 1, heldAgain.Finish.CachedPromptTokens);
        Assert.Equal(other.PromptTokens.Count - 1, otherAgain.Finish.CachedPromptTokens);
        Assert.True(engine.KvCellsMatchTheirTokens);
    }

    [Fact]
    public void Generate_TopLogprobsOverTheMaximum_IsRefused()
    {
        using var engine = LoadScripted(reusePrompts: true);

        var error = Assert.Throws<ArgumentException>(() => engine.Generate(Generations.Chat(engine, "Hello", logprobs: true) with { TopLogprobs = GenerationEngine.MaxTopLogprobs + 1 }));

        Assert.Contains("TopLogprobs", error.Message, StringComparison.Ordinal);
    }
}
