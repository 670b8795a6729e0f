namespace Guardrail.Conversations;

/// <summary>Which side of the exchange a check judges.</summary>
public enum CheckDirection
{
    /// <summary>Input check: the last turn is the user's; Llama Guard's role label is <c>User</c>.</summary>
    Prompt,

    /// <summary>Output check: the last turn is the assistant's; Llama Guard's role label is <c>Agent</c>.</summary>
    Response,
}

/// <summary>What a direction means for the prompt.</summary>
public static class CheckDirectionExtensions
{
    /// <summary>The role whose turn must come last.</summary>
    public static ConversationRole JudgedRole(this CheckDirection direction) => direction switch
    {
        CheckDirection.Prompt => ConversationRole.User,
        CheckDirection.Response => ConversationRole.Assistant,
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, "Unknown check direction."),
    };

    /// <summary>The label Llama Guard uses for the judged role: <c>User</c> or <c>Agent</c>.</summary>
    public static string RoleLabel(this CheckDirection direction) => direction.JudgedRole().Label();

    /// <summary>The label of a role in the prompt: <c>User</c> or <c>Agent</c>.</summary>
    public static string Label(this ConversationRole role) => role switch
    {
        ConversationRole.User => "User",
        ConversationRole.Assistant => "Agent",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role."),
    };
}
