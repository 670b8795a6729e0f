using System.Collections.Immutable;
using Guardrail.Classification;
using Guardrail.LlamaCpp.Inference;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>
/// The KV states of earlier checks' prompts, so that a chat's next check decodes only what is new in it. Turn N+1
/// of a chat repeats turn N: its prompt check has the same instructions and the same conversation up to the new
/// messages, and so does its response check with the previous response check. Each entry is one llama sequence
/// (ids <c>firstSequence</c> onwards) holding one check's prompt up to the end of its conversation (its closing
/// lines, which the next turn replaces with new messages, are not kept); a check that starts with an entry's prefix
/// and whole conversation continues it: it takes the cells of every token the two share
/// (<c>llama_memory_seq_cp</c> over that range: a reference in the unified KV cache, not a copy) and decodes only
/// the rest. A check of another chat shares no more than the policy prefix with it, which the prefix cache serves.
/// Used only by the classifier's worker thread.
/// </summary>
/// <remarks>
/// <para>
/// Identical tokens at identical positions have identical KV state, so a check's scores do not depend on whether
/// its beginning came from here: the prompt is exactly the one it would be without the cache.
/// </para>
/// <para>
/// Entries belong to the tenant whose check made them and serve only that tenant's checks, so that how fast a
/// check is answered can never tell one tenant what another has sent. An entry that a later check continued is
/// replaced by that check's, which holds everything of it; so a chat keeps one entry per role, not one per turn.
/// Every cell an entry holds is one more cell that each batch's attention spans (masked, but computed), so entries
/// hold no more than can match again. The budget counts every entry's whole length, shared cells included, so it
/// never under-counts the cells in use.
/// Least recently used entries go first.
/// </para>
/// </remarks>
internal sealed class ConversationCache
{
    private readonly LlamaContext _context;
    private readonly int _maxTokens;
    private readonly List<Entry> _entries = [];
    private readonly Stack<int> _free = new();
    private long _clock;
    private int _tokens;

    /// <param name="context">The classifier's context, with a unified KV cache.</param>
    /// <param name="firstSequence">The first sequence id the cache may use.</param>
    /// <param name="capacity">How many entries (sequences) it may hold.</param>
    /// <param name="maxTokens">The KV cells all entries together may hold.</param>
    public ConversationCache(LlamaContext context, int firstSequence, int capacity, int maxTokens)
    {
        _context = context;
        _maxTokens = maxTokens;
        for (var sequence = firstSequence + capacity - 1; sequence >= firstSequence; sequence--)
        {
            _free.Push(sequence);
        }
    }

    /// <summary>Entries held.</summary>
    public int Count => _entries.Count;

    /// <summary>KV cells the entries hold, counting shared cells once per entry.</summary>
    public int Tokens => _tokens;

    /// <summary>
    /// The tenant's entry that <paramref name="prompt"/> continues: one whose prefix and whole conversation (all it
    /// holds) <paramref name="prompt"/> starts with, the longest such, and how many leading tokens the two
    /// share, at most <paramref name="limit"/>; null and 0 when there is none.
    /// </summary>
    public (Entry? Entry, int Matched) FindContinued(string tenant, ReadOnlySpan<int> prompt, int limit)
    {
        var candidate = prompt[..Math.Min(limit, prompt.Length)];
        Entry? best = null;
        var matched = 0;
        foreach (var entry in _entries)
        {
            if (!string.Equals(entry.Tenant, tenant, StringComparison.Ordinal) || entry.Tokens.Length > candidate.Length)
            {
                continue;
            }

            var common = candidate.CommonPrefixLength(entry.Tokens.AsSpan());
            if (common == entry.Tokens.Length && common > matched)
            {
                (best, matched) = (entry, common);
            }
        }

        return (best, matched);
    }

    /// <summary>Gives a check the entry's first <paramref name="count"/> positions in <paramref name="sequence"/>.</summary>
    public void Share(Entry entry, int sequence, int count)
    {
        entry.LastUsed = ++_clock;
        _context.CopySequence(entry.Sequence, sequence, 0, count);
    }

    /// <summary>
    /// Keeps the positions of <paramref name="sequence"/> (a finished check's prompt) up to the end of the prompt's
    /// conversation as the tenant's entry, in place of <paramref name="replaces"/> when given and still held.
    /// </summary>
    public void Store(string tenant, TokenizedPrompt prompt, int sequence, Entry? replaces)
    {
        if (replaces is not null && _entries.Contains(replaces))
        {
            Remove(replaces);
        }

        // The closing lines never match again: the next turn has new messages where they stand.
        var tokens = prompt.Tokens[..(prompt.Tokens.Length - prompt.SuffixTokenCount)];
        if (tokens.Length > _maxTokens)
        {
            return;
        }

        if (_entries.Find(e => string.Equals(e.Tenant, tenant, StringComparison.Ordinal) && e.Tokens.AsSpan().SequenceEqual(tokens.AsSpan())) is { } same)
        {
            same.LastUsed = ++_clock;
            return;
        }

        while (_free.Count == 0 || _tokens + tokens.Length > _maxTokens)
        {
            Remove(_entries.MinBy(e => e.LastUsed)!);
        }

        var entry = new Entry(tenant, tokens, _free.Pop()) { LastUsed = ++_clock };
        _context.CopySequence(sequence, entry.Sequence, 0, tokens.Length);
        _entries.Add(entry);
        _tokens += tokens.Length;
    }

    private void Remove(Entry entry)
    {
        _entries.Remove(entry);
        _context.RemoveSequence(entry.Sequence);
        _free.Push(entry.Sequence);
        _tokens -= entry.Tokens.Length;
    }

    /// <summary>One cached prompt up to the end of its conversation: whose, its tokens, and the sequence holding their
    /// KV cells.</summary>
    internal sealed class Entry(string tenant, ImmutableArray<int> tokens, int sequence)
    {
        public string Tenant { get; } = tenant;

        public ImmutableArray<int> Tokens { get; } = tokens;

        public int Sequence { get; } = sequence;

        public long LastUsed { get; set; }
    }
}
