namespace Guardrail.Policies;

/// <summary>How a client learns that its prompt was blocked.</summary>
public enum BlockedPromptResponse
{
    /// <summary>HTTP 400 in OpenAI's error shape with <c>code: "content_filter"</c>.</summary>
    Error,

    /// <summary>HTTP 200 with the refusal text as the completion and <c>finish_reason: "content_filter"</c>.</summary>
    Refusal,
}
