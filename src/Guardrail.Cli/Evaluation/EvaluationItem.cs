using Guardrail.Conversations;

namespace Guardrail.Cli.Evaluation;

/// <summary>One labelled conversation of an evaluation set: what is checked, and the answer a reviewer expects.</summary>
/// <param name="Id">Unique within the set; runs are compared item by item through it.</param>
/// <param name="Line">1-based line (JSON Lines) or record start line (CSV) in the set file, for messages.</param>
/// <param name="Direction">Prompt check (the last user turn is judged) or response check (the last assistant turn).</param>
/// <param name="Conversation">The conversation, ending with the judged turn.</param>
/// <param name="ExpectedUnsafe">The expected verdict.</param>
/// <param name="ExpectedCategories">The category codes the content violates, in code order; empty for safe items and
/// for unsafe items whose reviewer named none.</param>
internal sealed record EvaluationItem(
    string Id,
    int Line,
    CheckDirection Direction,
    Conversation Conversation,
    bool ExpectedUnsafe,
    IReadOnlyList<string> ExpectedCategories);
