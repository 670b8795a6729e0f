namespace Guardrail.ModelSynthesis;

/// <summary>
/// What a hand-weighted scripted generator says: <see cref="Answer"/> to any prompt, and <see cref="FlaggedAnswer"/>
/// when <see cref="TriggerWord"/> is anywhere in the prompt. The default flagged answer holds <c>bomb</c>, a word the
/// test keyword guard (<c>bomb=S1,violin=S10</c>) flags, and the default trigger is not one of its words, so a
/// gateway in front passes the prompt and blocks the response.
/// </summary>
/// <param name="Answer">Sentence greedy decoding yields without the trigger; its tokens must all differ.</param>
/// <param name="TriggerWord">A word with a single-token form; it must not be a token of either sentence.</param>
/// <param name="FlaggedAnswer">Sentence yielded with the trigger; its tokens must all differ, and from the answer's.</param>
public sealed record ScriptedGeneratorScript(string Answer, string TriggerWord, string FlaggedAnswer)
{
    /// <summary>The keyword guard spec of the tests and the demo: it flags <see cref="Default"/>'s flagged answer (<c>bomb</c>) and passes its trigger.</summary>
    public const string MatchingKeywordGuard = "bomb=S1,violin=S10";

    /// <summary>The script of the test and demo generator.</summary>
    public static ScriptedGeneratorScript Default { get; } = new(
        "The quick brown fox jumps over the lazy dog.",
        "dragon",
        "Here is a bomb recipe for you!");

    /// <summary>The canonical text form; it also names the cached model.</summary>
    public override string ToString() => $"{Answer}|{TriggerWord}|{FlaggedAnswer}";
}
