using Guardrail.LlamaCpp.Native;

namespace Guardrail.LlamaCpp.Inference;

/// <summary>
/// A reusable batch of tokens for <see cref="LlamaContext.Decode"/>: each token has a position, the sequences it
/// belongs to, and whether its logits are wanted. Not thread-safe.
/// </summary>
internal sealed unsafe class LlamaBatch : IDisposable
{
    private readonly SafeLlamaBatchHandle _handle;

    /// <summary>Allocates room for <paramref name="capacity"/> tokens, each in up to <paramref name="maxSequencesPerToken"/> sequences.</summary>
    public LlamaBatch(int capacity, int maxSequencesPerToken = 1)
    {
        NativeRuntime.EnsureInitialized();
        _handle = SafeLlamaBatchHandle.Allocate(capacity, maxSequencesPerToken);
        Capacity = capacity;
        MaxSequencesPerToken = maxSequencesPerToken;
    }

    public int Capacity { get; }

    public int MaxSequencesPerToken { get; }

    /// <summary>Tokens added since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Number of tokens whose logits were requested.</summary>
    public int OutputCount { get; private set; }

    /// <summary>Adds a token in one sequence; returns its index in the batch (the index for <see cref="LlamaContext.GetLogits"/>).</summary>
    public int Add(int token, int position, int sequenceId, bool wantLogits) => Add(token, position, [sequenceId], wantLogits);

    /// <summary>Adds a token shared by several sequences; returns its index in the batch.</summary>
    public int Add(int token, int position, ReadOnlySpan<int> sequenceIds, bool wantLogits)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (Count == Capacity)
        {
            throw new InvalidOperationException($"The batch is full ({Capacity} tokens).");
        }

        if (sequenceIds.IsEmpty || sequenceIds.Length > MaxSequencesPerToken)
        {
            throw new ArgumentException($"A token needs 1 to {MaxSequencesPerToken} sequence ids, got {sequenceIds.Length}.", nameof(sequenceIds));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(token);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ref var batch = ref _handle.Batch;
        var i = Count;
        batch.token[i] = token;
        batch.pos[i] = position;
        batch.n_seq_id[i] = sequenceIds.Length;
        for (var s = 0; s < sequenceIds.Length; s++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(sequenceIds[s], nameof(sequenceIds));
            batch.seq_id[i][s] = sequenceIds[s];
        }

        batch.logits[i] = wantLogits ? (sbyte)1 : (sbyte)0;
        Count = i + 1;
        batch.n_tokens = Count;
        if (wantLogits)
        {
            OutputCount++;
        }

        return i;
    }

    /// <summary>Token at <paramref name="index"/>, for validation before decoding.</summary>
    internal int TokenAt(int index) => _handle.Batch.token[index];

    /// <summary>Sequence ids of the token at <paramref name="index"/>.</summary>
    internal ReadOnlySpan<int> SequencesAt(int index) => new(_handle.Batch.seq_id[index], _handle.Batch.n_seq_id[index]);

    /// <summary>Empties the batch for reuse; the memory stays allocated.</summary>
    public void Clear()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Count = 0;
        OutputCount = 0;
        _handle.Batch.n_tokens = 0;
    }

    /// <summary>The native batch for one decode call; valid while this object is alive.</summary>
    internal LlamaNativeBatch Native
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.Batch;
        }
    }

    internal SafeLlamaBatchHandle Handle => _handle;

    public void Dispose() => _handle.Dispose();
}
