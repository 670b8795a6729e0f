using System.Text.Json.Nodes;

namespace Guardrail.Streaming;

/// <summary>How a moderated stream ended.</summary>
public enum StreamModerationOutcome
{
    /// <summary>The backend's stream ended with <c>[DONE]</c> and everything passed (or monitor mode).</summary>
    Completed,

    /// <summary>A check or a fault blocked the response; the content-filter chunk and <c>[DONE]</c> were sent.</summary>
    Blocked,

    /// <summary>
    /// The backend's stream ended without <c>[DONE]</c>, or in the middle of an event. What was complete was checked
    /// and released; no <c>[DONE]</c> was invented, the caller decides how to end the response.
    /// </summary>
    UpstreamTruncated,

    /// <summary>Reading the backend failed (I/O error, or an event over the size limit); handled like truncation.</summary>
    UpstreamFailed,

    /// <summary>The client went away (cancellation or a failed write); not an error.</summary>
    ClientAborted,
}

/// <summary>Why a stream was blocked.</summary>
public enum StreamBlockReason
{
    /// <summary>A text check answered block.</summary>
    Check,

    /// <summary>The caller answered block to an <see cref="StreamFault.UnreadableChunk"/> fault.</summary>
    UnreadableChunk,

    /// <summary>The caller answered block to a <see cref="StreamFault.BufferLimitExceeded"/> fault.</summary>
    BufferLimitExceeded,
}

/// <summary>A blocking answer that was not enforced (monitor mode, or after failing open).</summary>
public sealed record StreamFlag
{
    public required int ChoiceIndex { get; init; }

    public bool IsFinal { get; init; }

    public JsonObject? Guardrail { get; init; }
}

/// <summary>What happened to one moderated stream, for audit and metrics.</summary>
public sealed record StreamModerationResult
{
    public required StreamModerationOutcome Outcome { get; init; }

    /// <summary>Set when blocked.</summary>
    public StreamBlockReason? BlockReason { get; init; }

    /// <summary>The choice whose check blocked; -1 for a fault; null when not blocked.</summary>
    public int? BlockedChoiceIndex { get; init; }

    /// <summary>The blocking answer's <c>guardrail</c> object.</summary>
    public JsonObject? Guardrail { get; init; }

    /// <summary>Blocking answers that were only recorded (monitor mode, or after failing open).</summary>
    public IReadOnlyList<StreamFlag> Flags { get; init; } = [];

    /// <summary>True when the caller allowed a fault, so text after it was forwarded unchecked or unenforced.</summary>
    public bool FailedOpen { get; init; }

    /// <summary>Why the upstream failed or was truncated, for logs.</summary>
    public string? UpstreamError { get; init; }

    public long UpstreamBytes { get; init; }

    public long DownstreamBytes { get; init; }

    /// <summary>Events parsed from the backend (comments and blank-line events included).</summary>
    public int UpstreamEvents { get; init; }

    public int ChecksRun { get; init; }

    public int UnreadableChunks { get; init; }

    /// <summary>Bytes of an unterminated last event that were discarded.</summary>
    public int DiscardedBytes { get; init; }

    /// <summary><c>{"error": ...}</c> payloads the backend sent mid-stream; forwarded in place, they carry no text.</summary>
    public int ErrorEvents { get; init; }

    /// <summary>The retained text of each choice (see <see cref="StreamModerationOptions.MaxRetainedChars"/>).</summary>
    public IReadOnlyDictionary<int, string> ChoiceTexts { get; init; } = new Dictionary<int, string>();
}
