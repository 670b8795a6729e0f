namespace Guardrail.Streaming;

/// <summary>
/// What moderation reads from one <c>data:</c> payload of a stream (a Responses event is read as choice 0, see
/// <see cref="ResponsesStreamDialect"/>): a <c>chat.completion.chunk</c>, a legacy
/// <c>text_completion</c> chunk, a usage-only chunk (<c>choices: []</c>), an error object, or <c>[DONE]</c>.
/// </summary>
internal sealed record ChatStreamChunk
{
    /// <summary>The <c>data: [DONE]</c> terminator.</summary>
    public static readonly ChatStreamChunk Done = new() { IsDone = true };

    public bool IsDone { get; init; }

    public string? Id { get; init; }

    /// <summary>The <c>object</c> field: <c>chat.completion.chunk</c> or <c>text_completion</c>.</summary>
    public string? Object { get; init; }

    public long? Created { get; init; }

    public string? Model { get; init; }

    public IReadOnlyList<ChoiceDelta> Choices { get; init; } = [];

    /// <summary>A <c>usage</c> object is present (the final chunk with <c>stream_options.include_usage</c>).</summary>
    public bool HasUsage { get; init; }

    /// <summary>The payload is an <c>{"error": ...}</c> object some backends send mid-stream.</summary>
    public bool IsError { get; init; }
}

/// <summary>One entry of <c>choices</c>: the pieces of one choice carried by one chunk.</summary>
internal sealed record ChoiceDelta
{
    public int Index { get; init; }

    public string? Role { get; init; }

    public string? Content { get; init; }

    public string? Refusal { get; init; }

    /// <summary>Legacy <c>text_completion</c> text.</summary>
    public string? Text { get; init; }

    public IReadOnlyList<ToolCallDelta> ToolCalls { get; init; } = [];

    public string? FinishReason { get; init; }
}

/// <summary>A piece of one tool call; name and id come with its first piece, arguments in fragments.</summary>
internal sealed record ToolCallDelta
{
    /// <summary>The tool call's <c>index</c>; -1 for the deprecated <c>function_call</c> delta.</summary>
    public int Index { get; init; }

    public string? Id { get; init; }

    public string? Name { get; init; }

    public string? Arguments { get; init; }
}
