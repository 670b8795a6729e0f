namespace Guardrail.Streaming;

/// <summary>
/// One server-sent event as the backend framed it: everything from its first line through the blank line that ends
/// it. <see cref="Raw"/> holds those exact bytes, so an event forwarded unchanged is byte-identical to the input.
/// </summary>
internal sealed record SseEvent
{
    /// <summary>The exact bytes of the event, line endings and (for the first event) a byte order mark included.</summary>
    public required ReadOnlyMemory<byte> Raw { get; init; }

    /// <summary>The <c>data</c> lines joined with <c>\n</c>; null when the event has no <c>data</c> field.</summary>
    public string? Data { get; init; }

    /// <summary>The <c>event</c> field; null when absent.</summary>
    public string? EventType { get; init; }

    /// <summary>The <c>id</c> field; null when absent (or ignored because it holds NUL, as the spec says).</summary>
    public string? Id { get; init; }

    /// <summary>The <c>retry</c> field in milliseconds; null when absent or not all ASCII digits.</summary>
    public long? Retry { get; init; }

    /// <summary>Comment lines (after the colon, as sent), e.g. keep-alives.</summary>
    public IReadOnlyList<string> Comments { get; init; } = [];

    /// <summary>True when the event carries nothing but comments or blank lines: no field at all.</summary>
    public bool IsContentFree => Data is null && EventType is null && Id is null && Retry is null && !HasOtherFields;

    /// <summary>True when a field the spec ignores (unknown name) was present.</summary>
    public bool HasOtherFields { get; init; }
}
