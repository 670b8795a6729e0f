using System.Text;

namespace Guardrail.Streaming;

/// <summary>
/// The text of one choice as the checks see it: content, refusal and legacy text appended as they stream, tool-call
/// arguments after a <c>[tool_call name]</c> header. Offsets are absolute; old checked text may be dropped.
/// </summary>
internal sealed class ChoiceTranscript
{
    private readonly StringBuilder _text = new();
    private readonly int _maxRetainedChars;
    private int? _currentToolIndex;

    public ChoiceTranscript(int index, int maxRetainedChars)
    {
        Index = index;
        _maxRetainedChars = maxRetainedChars;
    }

    public int Index { get; }

    /// <summary>Offset of the first retained character.</summary>
    public long Start { get; private set; }

    public long Length => Start + _text.Length;

    /// <summary>End of the text covered by passed (or, in monitor mode, run) checks.</summary>
    public long CheckedUpTo { get; set; }

    public long Unchecked => Length - CheckedUpTo;

    /// <summary>The choice's <c>finish_reason</c> reached the client; a content-filter chunk must not repeat it.</summary>
    public bool FinishReleased { get; set; }

    public void Append(ChoiceDelta delta)
    {
        Append(delta.Content);
        Append(delta.Refusal);
        Append(delta.Text);
        foreach (var call in delta.ToolCalls)
        {
            if (_currentToolIndex != call.Index || call.Name is not null)
            {
                _currentToolIndex = call.Index;
                _text.Append(_text.Length == 0 && Start == 0 ? "" : "\n").Append("[tool_call ").Append(call.Name).Append("]\n");
            }

            Append(call.Arguments);
        }
    }

    public string Slice(long from) => _text.ToString((int)(from - Start), (int)(Length - from));

    /// <summary>Drops checked text beyond the retention limit, never text a later check may still need.</summary>
    public void Trim(int overlapChars)
    {
        if (_text.Length <= _maxRetainedChars)
        {
            return;
        }

        var keepFrom = Math.Min(CheckedUpTo - overlapChars, Length - (_maxRetainedChars / 2));
        var drop = keepFrom - Start;
        if (drop > 0)
        {
            _text.Remove(0, (int)drop);
            Start += drop;
        }
    }

    public override string ToString() => _text.ToString();

    private void Append(string? piece)
    {
        if (!string.IsNullOrEmpty(piece))
        {
            _text.Append(piece);
        }
    }
}
