namespace Guardrail.Conversations;

/// <summary>Who speaks a Llama Guard turn. Tool output and system text are not roles of their own.</summary>
public enum ConversationRole
{
    /// <summary>The end user; rendered as <c>User:</c>.</summary>
    User,

    /// <summary>The model being moderated; rendered as <c>Agent:</c>.</summary>
    Assistant,
}
