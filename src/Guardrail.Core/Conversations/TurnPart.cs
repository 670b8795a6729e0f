namespace Guardrail.Conversations;

/// <summary>
/// One piece of a turn. A turn keeps its pieces in the order they happened, so that a merged turn (two
/// consecutive messages of one role, or a tool result followed by the assistant's answer) reads in order.
/// </summary>
public abstract record TurnPart
{
    private protected TurnPart()
    {
    }

    /// <summary>The plain text this piece contributes to the turn (see <see cref="ConversationTurn.Text"/>).</summary>
    public abstract string Render();
}

/// <summary>Message text written by the user or the assistant.</summary>
/// <param name="Text">The text, as sent.</param>
public sealed record TextPart(string Text) : TurnPart
{
    /// <inheritdoc />
    public override string Render() => Text;
}

/// <summary>A tool (function) call the assistant asked for.</summary>
/// <param name="Name">The function name.</param>
/// <param name="Arguments">The arguments as the model wrote them, usually JSON.</param>
/// <param name="Id">The call id that a later tool result refers to, when the wire format has one.</param>
public sealed record ToolCallPart(string Name, string Arguments, string? Id = null) : TurnPart
{
    /// <summary>Renders as <c>[tool call NAME(ARGUMENTS)]</c>.</summary>
    public override string Render() => $"[tool call {Name}({Arguments})]";
}

/// <summary>What a tool returned; it is part of the turn that follows it.</summary>
/// <param name="Content">The tool's output.</param>
/// <param name="Name">The tool's name when known (resolved from the call id), otherwise null.</param>
/// <param name="ToolCallId">The id of the call this answers, when the wire format has one.</param>
public sealed record ToolResultPart(string Content, string? Name = null, string? ToolCallId = null) : TurnPart
{
    /// <summary>Renders as <c>[tool result NAME: CONTENT]</c>, or <c>[tool result: CONTENT]</c> without a name.</summary>
    public override string Render() =>
        string.IsNullOrEmpty(Name) ? $"[tool result: {Content}]" : $"[tool result {Name}: {Content}]";
}

/// <summary>
/// Content a text-only classifier cannot judge (an image, audio or a file in a chat message). It stays in the
/// conversation as a visible marker, so that nothing is dropped from moderation silently: the prompt shows the
/// model that something was there, reviewers see it in the audit log, and a policy can refuse such requests.
/// </summary>
/// <param name="Kind">The wire type of the part, e.g. <c>image_url</c>.</param>
public sealed record UnmoderatedPart(string Kind) : TurnPart
{
    /// <inheritdoc />
    public override string Render() => $"[{Kind} content, not readable by the classifier]";
}
