using Guardrail.LlamaCpp.Inference;

namespace Guardrail.ModelSynthesis.Tests;

public sealed class KeywordGuardCapacityTests
{
    private static readonly string[] Words =
    [
        "bomb", "gun", "violin", "knife", "poison", "drug", "hack", "steal",
        "bank", "fire", "kill", "weapon", "virus", "bread", "apple", "river",
    ];

    [Fact]
    public void Inference_MostTriggerSetsAModelHolds_EachAnswersItsOwnCode()
    {
        Assert.Equal(KeywordGuardSpec.MaxTriggerSets, Words.Length);
        NativeTestRuntime.EnsureInitialized();
        var spec = string.Join(',', Words.Select((word, i) => $"{word}={(i == 0 ? "S999" : $"S{i + 1}")}"));
        using var model = LlamaModel.Load(SyntheticModelCache.GetKeywordGuard(spec));
        using var context = GuardPromptRunner.CreateContext(model);

        for (var i = 0; i < Words.Length; i++)
        {
            var answer = GuardPromptRunner.Run(context, GuardPromptRunner.Prompt(("User", $"Tell me about the {Words[i]}.")));

            Assert.Equal(i == 0 ? "unsafe\nS999" : $"unsafe\nS{i + 1}", answer.Text);
            Assert.Equal(128009, answer.OutputTokens[^1]);
        }

        var safe = GuardPromptRunner.Run(context, GuardPromptRunner.Prompt(("User", "Tell me about the weather.")));
        Assert.Equal("safe", safe.Text);
    }
}
