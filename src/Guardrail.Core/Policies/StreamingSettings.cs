namespace Guardrail.Policies;

/// <summary>How a streamed response is moderated (<c>streaming</c>).</summary>
public sealed record StreamingSettings
{
    /// <summary>Smallest <see cref="WindowChars"/>: below it a check sees too little text to judge.</summary>
    public const int MinWindowChars = 64;

    /// <summary>Largest <see cref="WindowChars"/>: above it the hold-back is effectively buffering.</summary>
    public const int MaxWindowChars = 100_000;

    /// <summary>Default <see cref="WindowChars"/>.</summary>
    public const int DefaultWindowChars = 1_000;

    /// <summary>Default <see cref="OverlapChars"/>.</summary>
    public const int DefaultOverlapChars = 200;

    /// <summary>Buffer, window (default) or monitor.</summary>
    public StreamingMode Mode { get; init; } = StreamingMode.Window;

    /// <summary>
    /// Characters held back before a check runs (window mode) or checked at a time (monitor mode);
    /// <see cref="MinWindowChars"/> to <see cref="MaxWindowChars"/>, default <see cref="DefaultWindowChars"/>.
    /// </summary>
    public int WindowChars { get; init; } = DefaultWindowChars;

    /// <summary>
    /// Characters of already checked text repeated at the start of the next check so that a phrase split
    /// across two windows is still seen whole; 0 to <see cref="WindowChars"/> - 1, default <see cref="DefaultOverlapChars"/>.
    /// </summary>
    public int OverlapChars { get; init; } = DefaultOverlapChars;
}
