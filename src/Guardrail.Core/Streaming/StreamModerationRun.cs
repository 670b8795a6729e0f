using System.Buffers;
using System.Text.Json.Nodes;
using Guardrail.Policies;

namespace Guardrail.Streaming;

/// <summary>
/// The state of one moderated stream. Reading, checking and writing happen one after the other on one logical
/// thread: a check is awaited before the next upstream read, so a slow classifier slows the backend down (TCP
/// backpressure) instead of growing a buffer.
/// </summary>
internal sealed class StreamModerationRun
{
    private const int ReadBufferSize = 16 * 1024;

    private readonly StreamModerationOptions _options;
    private readonly Stream _upstream;
    private readonly Stream _downstream;
    private readonly Func<StreamCheck, CancellationToken, ValueTask<StreamCheckResult>> _check;
    private readonly SseParser _parser;
    private readonly StreamDialect _dialect;
    private readonly List<SseEvent> _parsed = [];
    private readonly Queue<HeldEvent> _held = new();
    private readonly SortedDictionary<int, ChoiceTranscript> _choices = [];
    private readonly ArrayBufferWriter<byte> _pending = new();
    private readonly List<StreamFlag> _flags = [];

    private StreamingMode _mode;
    private CancellationToken _cancellationToken;
    private long _heldBytes;
    private bool _doneSeen;
    private bool _failedOpen;

    private long _upstreamBytes;
    private long _downstreamBytes;
    private int _events;
    private int _checks;
    private int _unreadable;
    private int _discarded;
    private int _errorEvents;

    private StreamBlockReason? _blockReason;
    private int? _blockedChoice;
    private JsonObject? _blockGuardrail;

    public StreamModerationRun(
        StreamModerationOptions options,
        Stream upstream,
        Stream downstream,
        Func<StreamCheck, CancellationToken, ValueTask<StreamCheckResult>> check)
    {
        _options = options;
        _upstream = upstream;
        _downstream = downstream;
        _check = check;
        _parser = new SseParser(options.MaxEventBytes);
        _dialect = StreamDialect.Create(options);
        _mode = options.Mode;
    }

    public async Task<StreamModerationResult> RunAsync(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            string? upstreamError = null;
            while (true)
            {
                int read;
                try
                {
                    read = await _upstream.ReadAsync(buffer.AsMemory(0, ReadBufferSize), cancellationToken);
                }
                catch (IOException e)
                {
                    upstreamError = e.Message;
                    break;
                }

                if (read == 0)
                {
                    break;
                }

                _upstreamBytes += read;
                try
                {
                    _parser.Parse(buffer.AsSpan(0, read), _parsed);
                }
                catch (SseFormatException e)
                {
                    upstreamError = e.Message;
                }

                if (!await HandleParsedAsync())
                {
                    return await BlockAsync();
                }

                await FlushAsync();
                if (upstreamError is not null)
                {
                    break;
                }
            }

            var failed = upstreamError is not null;
            if (failed)
            {
                _discarded = _parser.PendingBytes;
            }
            else
            {
                _discarded = _parser.Complete(_parsed);
                if (!await HandleParsedAsync())
                {
                    return await BlockAsync();
                }
            }

            if (!await FinalizeAsync())
            {
                return await BlockAsync();
            }

            await FlushAsync();
            if (failed)
            {
                return Result(StreamModerationOutcome.UpstreamFailed, upstreamError);
            }

            if (_discarded > 0)
            {
                return Result(StreamModerationOutcome.UpstreamTruncated, "The backend's stream ended inside an event.");
            }

            return _doneSeen
                ? Result(StreamModerationOutcome.Completed)
                : Result(StreamModerationOutcome.UpstreamTruncated, "The backend's stream ended without [DONE].");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Result(StreamModerationOutcome.ClientAborted);
        }
        catch (ClientGoneException)
        {
            return Result(StreamModerationOutcome.ClientAborted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Returns false when the response is blocked.
    private async ValueTask<bool> HandleParsedAsync()
    {
        try
        {
            foreach (var sseEvent in _parsed)
            {
                if (!await HandleEventAsync(sseEvent))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            _parsed.Clear();
        }
    }

    private async ValueTask<bool> HandleEventAsync(SseEvent sseEvent)
    {
        _events++;
        if (sseEvent.Data is null)
        {
            // Keep-alive comments carry no content: sent at once even past held text, so a long hold does not
            // look like a dead connection to the client. Other data-less events keep their place.
            if (_mode == StreamingMode.Monitor || _held.Count == 0 || (sseEvent.IsContentFree && sseEvent.Comments.Count > 0))
            {
                Emit(sseEvent.Raw);
            }
            else
            {
                Hold(sseEvent.Raw, [], []);
            }

            return true;
        }

        var chunk = _dialect.Read(sseEvent, out var error);
        if (chunk is null)
        {
            return await HandleUnreadableAsync(sseEvent, error);
        }

        if (chunk.IsError)
        {
            _errorEvents++;
        }

        var ends = new (int Choice, long End)[chunk.Choices.Count];
        var finishing = new List<int>();
        for (var i = 0; i < chunk.Choices.Count; i++)
        {
            var choice = chunk.Choices[i];
            var transcript = Transcript(choice.Index);
            transcript.Append(choice);
            ends[i] = (choice.Index, transcript.Length);
            if (choice.FinishReason is not null)
            {
                finishing.Add(choice.Index);
            }
        }

        EmitOrHold(sseEvent.Raw, ends, finishing);
        if (chunk.IsDone)
        {
            // [DONE], or a Responses stream's terminal event (which may still carry text to check first).
            _doneSeen = true;
            return await FinalizeAsync();
        }

        if (!await CheckBudgetAsync())
        {
            return false;
        }

        if (_mode != StreamingMode.Buffer)
        {
            foreach (var (choice, _) in ends)
            {
                var transcript = _choices[choice];
                if (transcript.Unchecked >= _options.WindowChars && !await CheckAsync(transcript, isFinal: false))
                {
                    return false;
                }
            }

            foreach (var choice in finishing)
            {
                var transcript = _choices[choice];
                if (transcript.Unchecked > 0 && !await CheckAsync(transcript, isFinal: true))
                {
                    return false;
                }
            }
        }

        Release(all: false);
        return true;
    }

    private async ValueTask<bool> HandleUnreadableAsync(SseEvent sseEvent, string? error)
    {
        _unreadable++;
        if (_mode == StreamingMode.Monitor)
        {
            Emit(sseEvent.Raw);
            return true;
        }

        var answer = await AskAboutFaultAsync(StreamFault.UnreadableChunk, error);
        if (answer.Blocked)
        {
            SetBlock(StreamBlockReason.UnreadableChunk, -1, answer.Guardrail);
            return false;
        }

        // Failing open: the payload is forwarded in its place, unchecked.
        _failedOpen = true;
        EmitOrHold(sseEvent.Raw, [], []);
        return await CheckBudgetAsync();
    }

    private async ValueTask<bool> CheckBudgetAsync()
    {
        if (_mode == StreamingMode.Monitor || _heldBytes <= _options.MaxBufferedBytes)
        {
            return true;
        }

        var answer = await AskAboutFaultAsync(
            StreamFault.BufferLimitExceeded,
            $"More than {_options.MaxBufferedBytes} bytes of the response would be held back.");
        if (answer.Blocked)
        {
            SetBlock(StreamBlockReason.BufferLimitExceeded, -1, answer.Guardrail);
            return false;
        }

        // Failing open: release what is held and go on as in monitor mode (checks still run and are recorded).
        _failedOpen = true;
        _mode = StreamingMode.Monitor;
        Release(all: true);
        await FlushAsync();
        return true;
    }

    private ValueTask<StreamCheckResult> AskAboutFaultAsync(StreamFault fault, string? detail) =>
        _check(
            new StreamCheck { ChoiceIndex = -1, Text = string.Empty, FullText = string.Empty, Fault = fault, FaultDetail = detail },
            _cancellationToken);

    // Runs the final checks of every choice with unchecked text, then releases what they covered.
    private async ValueTask<bool> FinalizeAsync()
    {
        foreach (var transcript in _choices.Values)
        {
            if (transcript.Unchecked > 0 && !await CheckAsync(transcript, isFinal: true))
            {
                return false;
            }
        }

        Release(all: _mode == StreamingMode.Buffer);
        return true;
    }

    private async ValueTask<bool> CheckAsync(ChoiceTranscript transcript, bool isFinal)
    {
        // What is already released (in monitor mode: everything read so far) goes out before a possibly slow check.
        await FlushAsync();

        var from = Math.Max(Math.Max(transcript.CheckedUpTo - _options.OverlapChars, 0), transcript.Start);
        var end = transcript.Length;
        var fullText = transcript.Slice(transcript.Start);
        var check = new StreamCheck
        {
            ChoiceIndex = transcript.Index,
            Text = from == transcript.Start ? fullText : transcript.Slice(from),
            TextStart = from,
            FullText = fullText,
            FullTextStart = transcript.Start,
            IsFinal = isFinal,
        };

        _checks++;
        var answer = await _check(check, _cancellationToken);
        transcript.CheckedUpTo = end;
        if (answer.Blocked)
        {
            if (_mode != StreamingMode.Monitor)
            {
                SetBlock(StreamBlockReason.Check, transcript.Index, answer.Guardrail);
                return false;
            }

            _flags.Add(new StreamFlag { ChoiceIndex = transcript.Index, IsFinal = isFinal, Guardrail = answer.Guardrail });
        }

        transcript.Trim(_options.OverlapChars);
        Release(all: false);
        await FlushAsync();
        return true;
    }

    private ChoiceTranscript Transcript(int index)
    {
        if (!_choices.TryGetValue(index, out var transcript))
        {
            transcript = new ChoiceTranscript(index, _options.MaxRetainedChars);
            _choices.Add(index, transcript);
        }

        return transcript;
    }

    private void EmitOrHold(ReadOnlyMemory<byte> raw, (int Choice, long End)[] ends, List<int> finishing)
    {
        if (_mode == StreamingMode.Monitor)
        {
            Emit(raw);
            MarkFinishReleased(finishing);
        }
        else
        {
            Hold(raw, ends, finishing);
        }
    }

    private void Hold(ReadOnlyMemory<byte> raw, (int Choice, long End)[] ends, List<int> finishing)
    {
        _held.Enqueue(new HeldEvent(raw, ends, finishing));
        _heldBytes += raw.Length;
    }

    // Moves held events, in order, to the pending output: all of them, or the prefix that passed checks cover.
    private void Release(bool all)
    {
        while (_held.Count > 0)
        {
            var head = _held.Peek();
            if (!all && !IsCovered(head))
            {
                return;
            }

            _held.Dequeue();
            _heldBytes -= head.Raw.Length;
            Emit(head.Raw);
            MarkFinishReleased(head.Finishing);
        }
    }

    private bool IsCovered(HeldEvent held)
    {
        if (_mode == StreamingMode.Buffer)
        {
            return false;
        }

        foreach (var (choice, end) in held.Ends)
        {
            if (end > _choices[choice].CheckedUpTo)
            {
                return false;
            }
        }

        return true;
    }

    private void MarkFinishReleased(List<int> finishing)
    {
        foreach (var choice in finishing)
        {
            _choices[choice].FinishReleased = true;
        }
    }

    private void Emit(ReadOnlyMemory<byte> raw) => _pending.Write(raw.Span);

    private async ValueTask FlushAsync()
    {
        if (_pending.WrittenCount == 0)
        {
            return;
        }

        try
        {
            await _downstream.WriteAsync(_pending.WrittenMemory, _cancellationToken);
            await _downstream.FlushAsync(_cancellationToken);
        }
        catch (IOException e)
        {
            throw new ClientGoneException(e);
        }

        _downstreamBytes += _pending.WrittenCount;
        _pending.ResetWrittenCount();
    }

    private void SetBlock(StreamBlockReason reason, int choice, JsonObject? guardrail)
    {
        _blockReason = reason;
        _blockedChoice = choice;
        _blockGuardrail = guardrail;
    }

    private async Task<StreamModerationResult> BlockAsync()
    {
        // Held text is dropped: it never passed a check. Already released text stays released.
        _held.Clear();
        _heldBytes = 0;
        WriteBlockedEnd();
        await FlushAsync();
        return Result(StreamModerationOutcome.Blocked);
    }

    // The dialect ends the stream in its API's vocabulary for every choice whose end the client has not seen.
    private void WriteBlockedEnd()
    {
        var indexes = _choices.Values.Where(c => !c.FinishReleased).Select(c => c.Index).ToList();
        if (_blockedChoice is >= 0 && !indexes.Contains(_blockedChoice.Value))
        {
            indexes.Add(_blockedChoice.Value);
            indexes.Sort();
        }

        if (indexes.Count == 0)
        {
            indexes.Add(_blockedChoice is >= 0 ? _blockedChoice.Value : 0);
        }

        _dialect.WriteBlocked(_pending, indexes, _blockGuardrail);
    }

    private StreamModerationResult Result(StreamModerationOutcome outcome, string? upstreamError = null) => new()
    {
        Outcome = outcome,
        BlockReason = outcome == StreamModerationOutcome.Blocked ? _blockReason : null,
        BlockedChoiceIndex = outcome == StreamModerationOutcome.Blocked ? _blockedChoice : null,
        Guardrail = outcome == StreamModerationOutcome.Blocked ? _blockGuardrail : null,
        Flags = _flags.ToArray(),
        FailedOpen = _failedOpen,
        UpstreamError = upstreamError,
        UpstreamBytes = _upstreamBytes,
        DownstreamBytes = _downstreamBytes,
        UpstreamEvents = _events,
        ChecksRun = _checks,
        UnreadableChunks = _unreadable,
        DiscardedBytes = _discarded,
        ErrorEvents = _errorEvents,
        ChoiceTexts = _choices.ToDictionary(pair => pair.Key, pair => pair.Value.ToString()),
    };

    private sealed record HeldEvent(ReadOnlyMemory<byte> Raw, (int Choice, long End)[] Ends, List<int> Finishing);

    private sealed class ClientGoneException : Exception
    {
        public ClientGoneException(Exception innerException)
            : base("The client connection failed.", innerException)
        {
        }

        public ClientGoneException()
        {
        }

        public ClientGoneException(string message, Exception innerException)
            : base(message, innerException)
        {
        }
    }
}
