using System.Text.Json.Nodes;

namespace Guardrail.Streaming;

/// <summary>A problem the moderator cannot judge by itself; the caller decides it (the policy's <c>on_error</c>).</summary>
public enum StreamFault
{
    /// <summary>A <c>data</c> payload is not a readable chunk: its text, if any, cannot be checked.</summary>
    UnreadableChunk,

    /// <summary>Holding back more would pass <see cref="StreamModerationOptions.MaxBufferedBytes"/>.</summary>
    BufferLimitExceeded,
}

/// <summary>
/// One question to the caller: is this text of one choice acceptable? Or, when <see cref="Fault"/> is set, what to do
/// about a fault (then the text fields are empty).
/// </summary>
public sealed record StreamCheck
{
    /// <summary>The choice whose text is checked; -1 for a fault that concerns no single choice.</summary>
    public required int ChoiceIndex { get; init; }

    /// <summary>
    /// The window to judge: the unchecked text plus up to <see cref="StreamModerationOptions.OverlapChars"/> of
    /// checked text before it (the whole text in buffer mode). Tool-call arguments appear rendered as text.
    /// </summary>
    public required string Text { get; init; }

    /// <summary>Offset of <see cref="Text"/> in the choice's whole text.</summary>
    public long TextStart { get; init; }

    /// <summary>The choice's text so far (ending where <see cref="Text"/> ends), minus dropped old checked text.</summary>
    public required string FullText { get; init; }

    /// <summary>Offset of <see cref="FullText"/> in the choice's whole text; above 0 once old text was dropped.</summary>
    public long FullTextStart { get; init; }

    /// <summary>True for the check that covers the end of the choice.</summary>
    public bool IsFinal { get; init; }

    /// <summary>Set when this is a fault to decide rather than text to judge.</summary>
    public StreamFault? Fault { get; init; }

    /// <summary>What went wrong, for logs and audit (faults only).</summary>
    public string? FaultDetail { get; init; }
}

/// <summary>The caller's answer to a <see cref="StreamCheck"/>.</summary>
public sealed record StreamCheckResult
{
    /// <summary>Let it through.</summary>
    public static readonly StreamCheckResult Allow = new();

    /// <summary>True to stop the stream (in monitor mode: record only).</summary>
    public bool Blocked { get; init; }

    /// <summary>
    /// Written as the top-level <c>guardrail</c> object of the content-filter chunk (decision id, categories...).
    /// The moderator only serializes it.
    /// </summary>
    public JsonObject? Guardrail { get; init; }

    /// <summary>A blocking answer with its <c>guardrail</c> object.</summary>
    public static StreamCheckResult Block(JsonObject? guardrail) => new() { Blocked = true, Guardrail = guardrail };
}
