using System.Text;
using Guardrail.Conversations;

namespace Guardrail.Classification;

/// <summary>
/// A Llama Guard 3 prompt as ordered segments: <see cref="Prefix"/> (scaffold), each turn's label (scaffold)
/// and text (content), and <see cref="Suffix"/> (scaffold). Built by <see cref="LlamaGuardPromptBuilder"/>.
/// </summary>
/// <remarks>
/// The prefix runs up to and including <c>&lt;BEGIN CONVERSATION&gt;\n\n</c>. It depends only on the role and
/// the category lines, so an engine can decode it once and reuse its KV state for every request with the same
/// <see cref="Prefix"/> text. The first segment starts with <c>&lt;|begin_of_text|&gt;</c>: tokenize every
/// segment without adding a BOS.
/// </remarks>
public sealed class LlamaGuardPrompt
{
    internal LlamaGuardPrompt(CheckDirection direction, PromptSegment prefix, IReadOnlyList<LlamaGuardPromptTurn> turns, PromptSegment suffix)
    {
        Direction = direction;
        Prefix = prefix;
        Turns = turns;
        Suffix = suffix;
        var segments = new List<PromptSegment>(2 + (turns.Count * 2)) { prefix };
        foreach (var turn in turns)
        {
            segments.Add(turn.Label);
            segments.Add(turn.Content);
        }

        segments.Add(suffix);
        Segments = segments;
    }

    /// <summary>Which side is judged; decides the role label (<c>User</c> or <c>Agent</c>).</summary>
    public CheckDirection Direction { get; }

    /// <summary>Scaffold from <c>&lt;|begin_of_text|&gt;</c> to <c>&lt;BEGIN CONVERSATION&gt;\n\n</c>; the cacheable part.</summary>
    public PromptSegment Prefix { get; }

    /// <summary>The conversation's turns, oldest first.</summary>
    public IReadOnlyList<LlamaGuardPromptTurn> Turns { get; }

    /// <summary>Scaffold from <c>&lt;END CONVERSATION&gt;</c> to the <c>\n\n</c> after the assistant header.</summary>
    public PromptSegment Suffix { get; }

    /// <summary>Every segment in order: prefix, label and content per turn, suffix.</summary>
    public IReadOnlyList<PromptSegment> Segments { get; }

    /// <summary>How many leading segments make up the cacheable prefix (always 1: <see cref="Prefix"/>).</summary>
    public int PrefixSegmentCount => 1;

    /// <summary>The whole prompt as one string, exactly as the model should read it.</summary>
    public string Render()
    {
        var builder = new StringBuilder();
        foreach (var segment in Segments)
        {
            builder.Append(segment.Text);
        }

        return builder.ToString();
    }
}
