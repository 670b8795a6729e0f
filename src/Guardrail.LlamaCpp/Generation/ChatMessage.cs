namespace Guardrail.LlamaCpp.Generation;

/// <summary>The four turn kinds of the Llama 3 instruct format.</summary>
public enum ChatRole
{
    System,
    User,
    Assistant,

    /// <summary>A tool's result, rendered in Llama 3.1's <c>ipython</c> turn.</summary>
    Tool,
}

/// <summary>One turn of a chat to generate from; the content is plain text, never control tokens.</summary>
public sealed record ChatMessage(ChatRole Role, string Content);
