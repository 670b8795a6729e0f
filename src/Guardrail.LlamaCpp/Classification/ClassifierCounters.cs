namespace Guardrail.LlamaCpp.Classification;

/// <summary>The engine's running counters: written by the worker thread, read by anyone through a snapshot.</summary>
internal sealed class Counters
{
    private long _requests;
    private long _batches;
    private int _largestBatch;
    private int _lastBatch;
    private long _prefilled;
    private long _reused;
    private long _generated;
    private long _decodeCalls;
    private long _decodeTicks;
    private long _prefixHits;
    private long _prefixMisses;
    private long _conversationHits;

    public void BatchStarted(int size)
    {
        Interlocked.Increment(ref _batches);
        Volatile.Write(ref _lastBatch, size);
        if (size > Volatile.Read(ref _largestBatch))
        {
            Volatile.Write(ref _largestBatch, size);
        }
    }

    public void RequestCompleted() => Interlocked.Increment(ref _requests);

    public void Prefilled(int tokens) => Interlocked.Add(ref _prefilled, tokens);

    public void Generated(int tokens) => Interlocked.Add(ref _generated, tokens);

    public void PrefixUsed(bool hit, int tokens)
    {
        Interlocked.Increment(ref hit ? ref _prefixHits : ref _prefixMisses);
        Interlocked.Add(ref _reused, hit ? tokens : 0);
    }

    public void ConversationUsed(int tokens)
    {
        Interlocked.Increment(ref _conversationHits);
        Interlocked.Add(ref _reused, tokens);
    }

    public void Decoded(TimeSpan elapsed)
    {
        Interlocked.Increment(ref _decodeCalls);
        Interlocked.Add(ref _decodeTicks, elapsed.Ticks);
    }

    public ClassifierStatistics Snapshot() => new(
        Interlocked.Read(ref _requests),
        Interlocked.Read(ref _batches),
        Volatile.Read(ref _largestBatch),
        Volatile.Read(ref _lastBatch),
        Interlocked.Read(ref _prefilled),
        Interlocked.Read(ref _reused),
        Interlocked.Read(ref _generated),
        Interlocked.Read(ref _decodeCalls),
        TimeSpan.FromTicks(Interlocked.Read(ref _decodeTicks)),
        Interlocked.Read(ref _prefixHits),
        Interlocked.Read(ref _prefixMisses),
        Interlocked.Read(ref _conversationHits));
}
