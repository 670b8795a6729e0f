using System.Runtime.InteropServices;
using Guardrail.LlamaCpp.Inference;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>Decodes a prompt prefix into a sequence of the llama context.</summary>
internal delegate void PrefixDecoder(ReadOnlySpan<int> tokens, int sequence);

/// <summary>
/// The KV states of the prompt prefixes in use, one llama sequence each (sequence ids 0 to capacity - 1), keyed by
/// the prefix's exact tokens: a policy whose categories change gets a new prefix, and the old one ages out, least
/// recently used first. Used only by the classifier's worker thread.
/// </summary>
internal sealed class PrefixCache
{
    private readonly LlamaContext _context;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Stack<int> _free = new();
    private long _clock;

    public PrefixCache(LlamaContext context, int capacity)
    {
        _context = context;
        for (var sequence = capacity - 1; sequence >= 0; sequence--)
        {
            _free.Push(sequence);
        }
    }

    public int Count => _entries.Count;

    /// <summary>The sequence holding <paramref name="tokens"/>, decoding them first when they are not cached.</summary>
    public (int Sequence, bool Hit) Acquire(ReadOnlySpan<int> tokens, PrefixDecoder decode)
    {
        var key = Convert.ToBase64String(MemoryMarshal.AsBytes(tokens));
        if (_entries.TryGetValue(key, out var cached))
        {
            cached.LastUsed = ++_clock;
            return (cached.Sequence, true);
        }

        var sequence = _free.Count > 0 ? _free.Pop() : Evict();
        try
        {
            decode(tokens, sequence);
        }
        catch
        {
            _context.RemoveSequence(sequence);
            _free.Push(sequence);
            throw;
        }

        _entries[key] = new Entry(sequence) { LastUsed = ++_clock };
        return (sequence, false);
    }

    private int Evict()
    {
        var oldest = _entries.MinBy(e => e.Value.LastUsed);
        _entries.Remove(oldest.Key);
        _context.RemoveSequence(oldest.Value.Sequence);
        return oldest.Value.Sequence;
    }

    private sealed class Entry(int sequence)
    {
        public int Sequence { get; } = sequence;

        public long LastUsed { get; set; }
    }
}
