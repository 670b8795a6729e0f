namespace Guardrail.Streaming;

/// <summary>
/// Step 7 of the request path for streamed responses: reads the backend's server-sent events, asks a check
/// function about the assistant text of each choice, and decides what reaches the client and when.
/// </summary>
/// <remarks>The invariants are in <c>Streaming/README.md</c>. One instance serves any number of concurrent runs.</remarks>
public sealed class StreamModerator
{
    private readonly StreamModerationOptions _options;

    /// <summary>Creates a moderator; throws <see cref="ArgumentException"/> listing every invalid setting.</summary>
    public StreamModerator(StreamModerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid stream moderation options: " + string.Join(" ", errors), nameof(options));
        }

        _options = options;
    }

    /// <summary>The settings this moderator runs with.</summary>
    public StreamModerationOptions Options => _options;

    /// <summary>
    /// Moderates one stream: reads <paramref name="upstream"/> (the backend's SSE body) until it ends or the
    /// response is blocked, writes the released SSE bytes to <paramref name="downstream"/> (flushed after each
    /// release), and consults <paramref name="check"/> for text and faults. Neither stream is disposed; on a block
    /// the caller should dispose the backend response to cancel it. Exceptions of <paramref name="check"/> propagate.
    /// </summary>
    public Task<StreamModerationResult> RunAsync(
        Stream upstream,
        Stream downstream,
        Func<StreamCheck, CancellationToken, ValueTask<StreamCheckResult>> check,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(downstream);
        ArgumentNullException.ThrowIfNull(check);
        return new StreamModerationRun(_options, upstream, downstream, check).RunAsync(cancellationToken);
    }
}
