namespace Guardrail.Conversations;

/// <summary>
/// Builds a <see cref="Conversation"/> from chat messages in wire order (system, user, assistant, tool).
/// </summary>
/// <remarks>
/// Tool results are not a Llama Guard role. A result is held until the next user or assistant message and
/// becomes the first piece of that turn; results with nothing after them (a request that ends with tool
/// output, about to be read by the model) form a user turn of their own, so that the input check judges them.
/// A result's tool name is looked up from the call id of an earlier call.
/// </remarks>
public sealed class ConversationBuilder
{
    private readonly List<ConversationTurn> _turns = [];
    private readonly List<string> _system = [];
    private readonly List<TurnPart> _pendingResults = [];
    private readonly Dictionary<string, string> _toolNamesByCallId = new(StringComparer.Ordinal);

    /// <summary>Adds a system message (kept aside, never judged).</summary>
    public ConversationBuilder AddSystem(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _system.Add(text);
        return this;
    }

    /// <summary>Adds a user message.</summary>
    public ConversationBuilder AddUser(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        AddTurn(ConversationRole.User, [new TextPart(text)]);
        return this;
    }

    /// <summary>
    /// Adds a user message made of parts (text, and the markers of content Llama Guard cannot read, such as
    /// <see cref="UnmoderatedPart"/>).
    /// </summary>
    public ConversationBuilder AddUser(IEnumerable<TurnPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        AddTurn(ConversationRole.User, parts);
        return this;
    }

    /// <summary>Adds an assistant message: text (null when it only calls tools) and its tool calls.</summary>
    public ConversationBuilder AddAssistant(string? text, params IEnumerable<ToolCallPart> toolCalls)
    {
        var turn = ConversationTurn.Assistant(text, toolCalls);
        foreach (var call in turn.Parts.OfType<ToolCallPart>())
        {
            if (call.Id is not null)
            {
                _toolNamesByCallId[call.Id] = call.Name;
            }
        }

        AddTurn(ConversationRole.Assistant, turn.Parts);
        return this;
    }

    /// <summary>Adds a tool result; it joins the next user or assistant turn.</summary>
    /// <param name="content">The tool's output.</param>
    /// <param name="toolCallId">The call it answers, used to find the tool's name.</param>
    /// <param name="name">The tool's name when the wire format carries it.</param>
    public ConversationBuilder AddToolResult(string content, string? toolCallId = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (name is null && toolCallId is not null)
        {
            _toolNamesByCallId.TryGetValue(toolCallId, out name);
        }

        _pendingResults.Add(new ToolResultPart(content, name, toolCallId));
        return this;
    }

    /// <summary>The conversation so far. The builder can keep being used afterwards.</summary>
    public Conversation Build()
    {
        var turns = new List<ConversationTurn>(_turns);
        if (_pendingResults.Count > 0)
        {
            turns.Add(new ConversationTurn(ConversationRole.User, _pendingResults));
        }

        return new Conversation(turns, _system);
    }

    private void AddTurn(ConversationRole role, IEnumerable<TurnPart> parts)
    {
        var all = _pendingResults.Concat(parts).ToArray();
        _pendingResults.Clear();
        var turn = new ConversationTurn(role, all);
        if (_turns.Count > 0 && _turns[^1].Role == role)
        {
            _turns[^1] = _turns[^1].MergeWith(turn);
        }
        else
        {
            _turns.Add(turn);
        }
    }
}
