using System.Globalization;
using System.Text;

namespace Guardrail.Streaming;

/// <summary>
/// Incremental server-sent-events parser (WHATWG HTML, "event stream interpretation") over chunks split anywhere:
/// inside a line, inside a UTF-8 sequence, between CR and LF. Lines are decoded only once complete, so a split
/// multi-byte character is never seen in halves.
/// </summary>
/// <remarks>
/// Unlike a browser, every blank line yields an <see cref="SseEvent"/>, also when it carries no data (comments,
/// stray blank lines): the moderator must forward those bytes too. An event ended by a lone CR is handed out only
/// once the next byte (or the end of the stream) shows whether an LF belongs to it, so its raw bytes are exact.
/// </remarks>
internal sealed class SseParser
{
    /// <summary>Default for the largest event (and so the largest line) accepted: 1 MiB.</summary>
    public const int DefaultMaxEventBytes = 1024 * 1024;

    private readonly int _maxEventBytes;
    private byte[] _raw = new byte[512];
    private int _rawLength;
    private int _lineStart;
    private bool _afterCarriageReturn;
    private bool _dispatchAfterCarriageReturn;
    private bool _atStreamStart = true;

    private StringBuilder? _data;
    private string? _eventType;
    private string? _id;
    private long? _retry;
    private bool _otherFields;
    private List<string>? _comments;

    public SseParser(int maxEventBytes = DefaultMaxEventBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventBytes, 1);
        _maxEventBytes = maxEventBytes;
    }

    /// <summary>Bytes of an event that has not been ended by a blank line yet.</summary>
    public int PendingBytes => _rawLength;

    /// <summary>Parses <paramref name="chunk"/>, adding every event it completes to <paramref name="events"/>.</summary>
    /// <exception cref="SseFormatException">An event grew past the limit.</exception>
    public void Parse(ReadOnlySpan<byte> chunk, ICollection<SseEvent> events)
    {
        var i = 0;
        while (i < chunk.Length)
        {
            if (_afterCarriageReturn)
            {
                _afterCarriageReturn = false;
                if (chunk[i] == (byte)'\n')
                {
                    Append(chunk.Slice(i, 1));
                    i++;
                }

                _lineStart = _rawLength;
                if (_dispatchAfterCarriageReturn)
                {
                    _dispatchAfterCarriageReturn = false;
                    Dispatch(events);
                }

                continue;
            }

            var rest = chunk[i..];
            var end = rest.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                Append(rest);
                return;
            }

            Append(rest[..(end + 1)]);
            i += end + 1;
            var terminator = rest[end];
            var line = _raw.AsSpan(_lineStart, _rawLength - 1 - _lineStart);
            var isBlank = ProcessLine(line);
            if (terminator == (byte)'\r')
            {
                _afterCarriageReturn = true;
                _dispatchAfterCarriageReturn = isBlank;
            }
            else if (isBlank)
            {
                Dispatch(events);
            }
            else
            {
                _lineStart = _rawLength;
            }
        }
    }

    /// <summary>
    /// The stream ended: hands out an event still waiting to see whether an LF follows its CR. Returns how many bytes
    /// of an unterminated event are left; they are discarded, as the spec discards an event without its blank line.
    /// </summary>
    public int Complete(ICollection<SseEvent> events)
    {
        if (_dispatchAfterCarriageReturn)
        {
            _afterCarriageReturn = false;
            _dispatchAfterCarriageReturn = false;
            Dispatch(events);
        }

        var discarded = _rawLength;
        Reset();
        _rawLength = 0;
        _lineStart = 0;
        return discarded;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_rawLength + bytes.Length > _maxEventBytes)
        {
            throw new SseFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"A server-sent event is longer than {_maxEventBytes} bytes."));
        }

        if (_rawLength + bytes.Length > _raw.Length)
        {
            var grown = new byte[Math.Min(_maxEventBytes, Math.Max(_raw.Length * 2, _rawLength + bytes.Length))];
            _raw.AsSpan(0, _rawLength).CopyTo(grown);
            _raw = grown;
        }

        bytes.CopyTo(_raw.AsSpan(_rawLength));
        _rawLength += bytes.Length;
    }

    // Returns true for a blank line, which ends the event.
    private bool ProcessLine(ReadOnlySpan<byte> line)
    {
        if (_atStreamStart)
        {
            _atStreamStart = false;
            if (line.StartsWith("\uFEFF"u8))
            {
                line = line[3..];
            }
        }

        if (line.IsEmpty)
        {
            return true;
        }

        var colon = line.IndexOf((byte)':');
        if (colon == 0)
        {
            (_comments ??= []).Add(Encoding.UTF8.GetString(line[1..]));
            return false;
        }

        var name = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? [] : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }

        if (name.SequenceEqual("data"u8))
        {
            _data ??= new StringBuilder();
            _data.Append(Encoding.UTF8.GetString(value)).Append('\n');
        }
        else if (name.SequenceEqual("event"u8))
        {
            _eventType = Encoding.UTF8.GetString(value);
        }
        else if (name.SequenceEqual("id"u8))
        {
            if (!value.Contains((byte)0))
            {
                _id = Encoding.UTF8.GetString(value);
            }
        }
        else if (name.SequenceEqual("retry"u8))
        {
            if (!value.IsEmpty && !value.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var retry))
            {
                _retry = retry;
            }
        }
        else
        {
            _otherFields = true;
        }

        return false;
    }

    private void Dispatch(ICollection<SseEvent> events)
    {
        string? data = null;
        if (_data is not null)
        {
            // Every data line added a trailing LF; the spec removes the last one.
            data = _data.ToString(0, _data.Length - 1);
        }

        events.Add(new SseEvent
        {
            Raw = _raw.AsSpan(0, _rawLength).ToArray(),
            Data = data,
            EventType = _eventType,
            Id = _id,
            Retry = _retry,
            Comments = _comments is null ? [] : _comments.ToArray(),
            HasOtherFields = _otherFields,
        });
        Reset();
        _rawLength = 0;
        _lineStart = 0;
    }

    private void Reset()
    {
        _data = null;
        _eventType = null;
        _id = null;
        _retry = null;
        _otherFields = false;
        _comments = null;
    }
}
