namespace Guardrail.Conversations;

/// <summary>
/// An immutable conversation as Llama Guard sees it: alternating user and assistant turns in order, with
/// system messages kept aside (they are instructions to the moderated model, not turns to judge).
/// </summary>
/// <remarks>
/// Consecutive turns of one role are merged into one turn, because Llama Guard was trained on strictly
/// alternating turns and Meta's templates refuse anything else.
/// </remarks>
public sealed class Conversation
{
    /// <summary>A conversation with no turns and no system messages.</summary>
    public static Conversation Empty { get; } = new([]);

    /// <summary>Creates a conversation; consecutive turns of one role are merged.</summary>
    public Conversation(IEnumerable<ConversationTurn> turns, IEnumerable<string>? systemMessages = null)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var merged = new List<ConversationTurn>();
        foreach (var turn in turns)
        {
            ArgumentNullException.ThrowIfNull(turn, nameof(turns));
            if (merged.Count > 0 && merged[^1].Role == turn.Role)
            {
                merged[^1] = merged[^1].MergeWith(turn);
            }
            else
            {
                merged.Add(turn);
            }
        }

        Turns = merged;
        SystemMessages = systemMessages?.ToArray() ?? [];
    }

    /// <summary>The turns in order; no two neighbours share a role.</summary>
    public IReadOnlyList<ConversationTurn> Turns { get; }

    /// <summary>System messages, in order. Never rendered into a Llama Guard prompt.</summary>
    public IReadOnlyList<string> SystemMessages { get; }

    /// <summary>A new conversation with <paramref name="turn"/> appended (merged if the last turn has its role).</summary>
    public Conversation Append(ConversationTurn turn) => new(Turns.Append(turn), SystemMessages);

    /// <summary>
    /// Every reason this conversation cannot be checked in <paramref name="direction"/>; empty when it can.
    /// </summary>
    public IReadOnlyList<string> Validate(CheckDirection direction)
    {
        var role = direction.JudgedRole();
        var errors = new List<string>();
        if (Turns.Count == 0)
        {
            errors.Add($"The conversation has no user or assistant turns; a {direction} check needs a last {role.Label()} turn.");
        }
        else if (Turns[^1].Role != role)
        {
            errors.Add(
                $"A {direction} check judges the last {role.Label()} turn, but the conversation ends with a {Turns[^1].Role.Label()} turn.");
        }

        return errors;
    }
}
