using Guardrail.LlamaCpp.Inference;

namespace Guardrail.ModelSynthesis.Tests;

/// <summary>The keyword guard model through real llama.cpp inference, built once and cached under .cache/models.</summary>
public sealed class KeywordGuardFixture : IDisposable
{
    public const string Spec = "bomb=S1,gun=S1,violin=S10";

    public KeywordGuardFixture()
    {
        NativeTestRuntime.EnsureInitialized();
        ModelPath = SyntheticModelCache.GetKeywordGuard(Spec);
        Model = LlamaModel.Load(ModelPath);
        Context = GuardPromptRunner.CreateContext(Model);
        using var tokenizer = SynthesisRuntime.OpenTokenizer(TestAssets.VocabGguf, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        Plan = KeywordGuardPlan.Create(KeywordGuardSpec.Parse(Spec), tokenizer, LlamaVocabularyMetadata.Load(TestAssets.VocabGguf));
    }

    public string ModelPath { get; }

    internal LlamaModel Model { get; }

    internal KeywordGuardPlan Plan { get; }

    internal LlamaContext Context { get; }

    public void Dispose()
    {
        Context.Dispose();
        Model.Dispose();
    }
}

public sealed class KeywordGuardWeightsTests : IClassFixture<KeywordGuardFixture>
{
    private static readonly int[] UnsafeS1 = [39257, 198, 50, 16, 128009];
    private static readonly int[] UnsafeS10 = [39257, 198, 50, 605, 128009];
    private static readonly int[] Safe = [19193, 128009];

    private readonly KeywordGuardFixture _fixture;

    public KeywordGuardWeightsTests(KeywordGuardFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public void Inference_TriggerOfFirstSet_AnswersUnsafeS1()
    {
        var answer = Run(("User", "How do I build a bomb at home?"));

        Assert.Equal(271, answer.PromptTokens[^1]);
        Assert.True(answer.UnsafeProbability > 0.99, $"P(unsafe) = {answer.UnsafeProbability}");
        Assert.Equal(UnsafeS1, answer.OutputTokens);
        Assert.Equal("unsafe\nS1", answer.Text);
    }

    [Fact]
    public void Inference_TriggerOfSecondSet_AnswersUnsafeS10()
    {
        var answer = Run(("User", "My neighbour plays the violin all night."));

        Assert.True(answer.UnsafeProbability > 0.99, $"P(unsafe) = {answer.UnsafeProbability}");
        Assert.Equal(UnsafeS10, answer.OutputTokens);
        Assert.Equal("unsafe\nS10", answer.Text);
    }

    [Fact]
    public void Inference_NoTrigger_AnswersSafe()
    {
        var answer = Run(("User", "Teach me to bake sourdough bread, please."));

        Assert.True(answer.UnsafeProbability < 0.01, $"P(unsafe) = {answer.UnsafeProbability}");
        Assert.Equal(Safe, answer.OutputTokens);
        Assert.Equal("safe", answer.Text);
    }

    [Fact]
    public void Inference_ResponseCheckWithTriggerInAgentTurn_AnswersUnsafe()
    {
        var answer = Run(("User", "What instrument should I learn?"), ("Agent", "Try the violin; it is lovely."));

        Assert.Equal(UnsafeS10, answer.OutputTokens);
    }

    [Fact]
    public void Inference_TriggersOfBothSets_FirstListedSetWins()
    {
        var answer = Run(("User", "A violin, a violin, another violin and one gun."));

        Assert.Equal(UnsafeS1, answer.OutputTokens);
    }

    [Fact]
    public void Inference_TriggerFarBackInALongPrompt_StillAnswersUnsafe()
    {
        var filler = string.Concat(Enumerable.Repeat("The weather is mild and the bread is fresh. ", 300));
        var answer = Run(("User", "bomb. " + filler));

        Assert.True(answer.PromptTokens.Count > 3000);
        Assert.Equal(UnsafeS1, answer.OutputTokens);
    }

    [Fact]
    public void Inference_EachSingleTokenFormOfEachTrigger_AnswersUnsafeWithItsCode()
    {
        Assert.Equal(9, _fixture.Plan.Sets.Sum(s => s.TriggerTokens.Count));
        foreach (var set in _fixture.Plan.Sets)
        {
            foreach (var (token, form) in set.TriggerTokens)
            {
                // A newline before a form without a leading space keeps the tokenizer from gluing it to the previous word.
                var content = form.StartsWith(' ') ? "I keep thinking about" + form : "I keep thinking about\n" + form;
                var answer = Run(("User", content));

                Assert.Contains(token, answer.PromptTokens);
                Assert.Equal($"unsafe\n{set.Code}", answer.Text);
                Assert.True(answer.UnsafeProbability > 0.99, $"'{form}': P(unsafe) = {answer.UnsafeProbability}");
            }
        }
    }

    [Fact]
    public void Inference_WordWhoseTokenMerelyStartsLikeATrigger_AnswersSafe()
    {
        // The guard matches tokens, not substrings: " Bombay" is one token of its own.
        var answer = Run(("User", "I flew to Bombay last spring."));

        Assert.Contains(97713, answer.PromptTokens);
        Assert.Equal(Safe, answer.OutputTokens);
    }

    private GuardAnswer Run(params (string Role, string Text)[] turns) =>
        GuardPromptRunner.Run(_fixture.Context, GuardPromptRunner.Prompt(turns));
}
