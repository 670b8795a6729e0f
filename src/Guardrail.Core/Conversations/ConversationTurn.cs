namespace Guardrail.Conversations;

/// <summary>
/// One Llama Guard turn: a role and its pieces (text, tool calls, tool results) in the order they happened.
/// </summary>
/// <remarks>
/// Llama Guard knows only two roles, so tool traffic becomes plain text inside a turn: a call is rendered
/// <c>[tool call get_weather({"city":"Paris"})]</c> in the assistant turn that made it, and a result
/// <c>[tool result get_weather: {"temp_c":21}]</c> at the start of the turn that follows it. Pieces are
/// joined with a line break. The rendered text is still content: it is neutralised and tokenized without
/// special tokens like any other message text.
/// </remarks>
public sealed record ConversationTurn
{
    /// <summary>Creates a turn from its pieces.</summary>
    /// <exception cref="ArgumentException">No pieces were given.</exception>
    public ConversationTurn(ConversationRole role, IEnumerable<TurnPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("A turn needs at least one part.", nameof(parts));
        }

        foreach (var part in list)
        {
            ArgumentNullException.ThrowIfNull(part, nameof(parts));
        }

        Role = role;
        Parts = list;
        // Rendered once: the cache key, the prompt and the audit record all read it.
        Text = list.Length == 1 ? list[0].Render() : string.Join('\n', list.Select(static part => part.Render()));
    }

    /// <summary>Who speaks.</summary>
    public ConversationRole Role { get; }

    /// <summary>The pieces in order.</summary>
    public IReadOnlyList<TurnPart> Parts { get; }

    /// <summary>The turn as plain text: every piece rendered, joined by <c>\n</c>. Not yet trimmed or neutralised.</summary>
    public string Text { get; }

    /// <summary>A user turn holding one piece of text.</summary>
    public static ConversationTurn User(string text) =>
        new(ConversationRole.User, [new TextPart(text ?? throw new ArgumentNullException(nameof(text)))]);

    /// <summary>An assistant turn holding text (may be null when it only calls tools) and tool calls.</summary>
    public static ConversationTurn Assistant(string? text, params IEnumerable<ToolCallPart> toolCalls)
    {
        ArgumentNullException.ThrowIfNull(toolCalls);
        var parts = new List<TurnPart>();
        if (!string.IsNullOrEmpty(text))
        {
            parts.Add(new TextPart(text));
        }

        parts.AddRange(toolCalls);
        if (parts.Count == 0)
        {
            // An empty assistant message is still a turn; keep it as empty text rather than fail.
            parts.Add(new TextPart(string.Empty));
        }

        return new ConversationTurn(ConversationRole.Assistant, parts);
    }

    /// <summary>This turn with another turn's pieces appended (both must have the same role).</summary>
    internal ConversationTurn MergeWith(ConversationTurn next)
    {
        if (next.Role != Role)
        {
            throw new ArgumentException("Only turns of the same role can be merged.", nameof(next));
        }

        return new ConversationTurn(Role, Parts.Concat(next.Parts));
    }

    /// <inheritdoc />
    public bool Equals(ConversationTurn? other) =>
        other is not null && other.Role == Role && other.Parts.SequenceEqual(Parts);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Role);
        foreach (var part in Parts)
        {
            hash.Add(part);
        }

        return hash.ToHashCode();
    }
}
