namespace Guardrail.LlamaCpp.Generation;

/// <summary>
/// Releases generated text so that no part of a stop string ever reaches the caller: text that could be the start of
/// a stop string is held back until the next text proves it is not, and a completed stop string ends the generation
/// with everything before it released and nothing of it.
/// </summary>
internal sealed class StopStringFilter
{
    private readonly IReadOnlyList<string> _stops;
    private string _pending = string.Empty;

    public StopStringFilter(IReadOnlyList<string> stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        _stops = [.. stops.Where(static s => s.Length > 0)];
    }

    /// <summary>Adds new text; returns what may be released now, and whether a stop string was completed.</summary>
    public (string Released, bool Stopped) Push(string text)
    {
        _pending += text;
        var first = -1;
        foreach (var stop in _stops)
        {
            var at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            var released = _pending[..first];
            _pending = string.Empty;
            return (released, true);
        }

        var hold = HeldBack();
        var free = _pending[..(_pending.Length - hold)];
        _pending = _pending[(_pending.Length - hold)..];
        return (free, false);
    }

    /// <summary>At the end of the generation, everything held back is plain text after all.</summary>
    public string Flush()
    {
        var rest = _pending;
        _pending = string.Empty;
        return rest;
    }

    /// <summary>Length of the longest suffix of the pending text that is a proper prefix of a stop string.</summary>
    private int HeldBack()
    {
        var longest = 0;
        foreach (var stop in _stops)
        {
            for (var length = Math.Min(stop.Length - 1, _pending.Length); length > longest; length--)
            {
                if (_pending.AsSpan(_pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
