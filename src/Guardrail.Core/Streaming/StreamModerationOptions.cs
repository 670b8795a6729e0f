using System.Globalization;

using Guardrail.Policies;

namespace Guardrail.Streaming;

/// <summary>The wire format of a moderated stream: what its events mean and how a blocked stream ends.</summary>
public enum StreamProtocol
{
    /// <summary>Chat and legacy completion chunks ending with <c>data: [DONE]</c>.</summary>
    ChatCompletions,

    /// <summary>The Responses API's typed events (<c>response.output_text.delta</c> and the rest), one choice.</summary>
    Responses,
}

/// <summary>Settings of the stream moderator: the policy's streaming mode and window, and the gateway's memory bounds.</summary>
public sealed record StreamModerationOptions
{
    /// <summary>Hold-back mode. Default <see cref="StreamingMode.Window"/>.</summary>
    public StreamingMode Mode { get; init; } = StreamingMode.Window;

    /// <summary>Unchecked characters of one choice that trigger a check. At least 1; default 400.</summary>
    public int WindowChars { get; init; } = 400;

    /// <summary>
    /// Characters before the unchecked text that a window check sees again, so a trigger split across two windows
    /// is still seen whole. 0 to <see cref="WindowChars"/> - 1; default 100.
    /// </summary>
    public int OverlapChars { get; init; } = 100;

    /// <summary>
    /// The most bytes of backend events held back at once. Going over it is a
    /// <see cref="StreamFault.BufferLimitExceeded"/> fault. At least <see cref="MaxEventBytes"/>; default 4 MiB.
    /// </summary>
    public long MaxBufferedBytes { get; init; } = 4L * 1024 * 1024;

    /// <summary>The largest single event (and line) accepted from the backend. At least 1; default 1 MiB.</summary>
    public int MaxEventBytes { get; init; } = SseParser.DefaultMaxEventBytes;

    /// <summary>
    /// Characters of already-checked text kept per choice for <see cref="StreamCheck.FullText"/>; older checked text
    /// is dropped. Unchecked text is always kept. At least <see cref="WindowChars"/> + <see cref="OverlapChars"/>;
    /// default 65,536.
    /// </summary>
    public int MaxRetainedChars { get; init; } = 65_536;

    /// <summary>What the events mean and how a blocked stream ends. Default <see cref="StreamProtocol.ChatCompletions"/>.</summary>
    public StreamProtocol Protocol { get; init; } = StreamProtocol.ChatCompletions;

    /// <summary>
    /// The refusal a blocked Responses stream ends with, as a <c>refusal</c> content part (chat streams end with
    /// <c>finish_reason: "content_filter"</c> and carry no text).
    /// </summary>
    public string RefusalText { get; init; } = "The response was stopped by the content filter.";

    /// <summary>Every problem with these settings (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Mode))
        {
            errors.Add(Invariant($"Mode {(int)Mode} is not one of window, buffer, monitor."));
        }

        if (!Enum.IsDefined(Protocol))
        {
            errors.Add(Invariant($"Protocol {(int)Protocol} is not one of chat completions, responses."));
        }

        if (RefusalText is null)
        {
            errors.Add("RefusalText must not be null.");
        }

        if (WindowChars < 1)
        {
            errors.Add(Invariant($"WindowChars must be at least 1 (got {WindowChars})."));
        }

        if (OverlapChars < 0 || OverlapChars >= Math.Max(WindowChars, 1))
        {
            errors.Add(Invariant($"OverlapChars must be from 0 to WindowChars - 1 (got {OverlapChars}, WindowChars {WindowChars})."));
        }

        if (MaxEventBytes < 1)
        {
            errors.Add(Invariant($"MaxEventBytes must be at least 1 (got {MaxEventBytes})."));
        }

        if (MaxBufferedBytes < MaxEventBytes)
        {
            errors.Add(Invariant($"MaxBufferedBytes must be at least MaxEventBytes ({MaxEventBytes}) (got {MaxBufferedBytes})."));
        }

        if ((long)MaxRetainedChars < (long)WindowChars + OverlapChars)
        {
            errors.Add(Invariant($"MaxRetainedChars must be at least WindowChars + OverlapChars (got {MaxRetainedChars})."));
        }

        return errors;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
