using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.LlamaCpp.Inference;

/// <summary>
/// An inference context: KV cache for up to <see cref="MaxSequences"/> sequences, decode, logits. Not thread-safe:
/// one thread at a time (the engine's worker) may use it. Cancellation of a running decode goes through llama.cpp's
/// abort callback, which the CPU backend checks between graph nodes.
/// </summary>
internal sealed unsafe class LlamaContext : IDisposable
{
    private readonly SafeLlamaContextHandle _handle;
    private readonly AbortState _abort;
    private GCHandle _abortHandle;

    private LlamaContext(LlamaModel model, SafeLlamaContextHandle handle, AbortState abort, GCHandle abortHandle)
    {
        Model = model;
        _handle = handle;
        _abort = abort;
        _abortHandle = abortHandle;
        ContextSize = (int)LlamaNative.llama_n_ctx(handle);
        BatchSize = (int)LlamaNative.llama_n_batch(handle);
        MaxSequences = (int)LlamaNative.llama_n_seq_max(handle);
        VocabSize = model.Vocab.Count;
    }

    public LlamaModel Model { get; }

    /// <summary>The native context, for samplers that read its logits (<c>llama_sampler_sample</c>).</summary>
    internal SafeLlamaContextHandle Handle => _handle;

    /// <summary>KV cache size in tokens as llama.cpp allocated it (it may round the request up).</summary>
    public int ContextSize { get; }

    /// <summary>Most tokens one <see cref="Decode"/> takes.</summary>
    public int BatchSize { get; }

    public int MaxSequences { get; }

    /// <summary>Length of each logits row.</summary>
    public int VocabSize { get; }

    /// <summary>Creates a context on a model loaded with weights.</summary>
    /// <exception cref="ArgumentException">Invalid options (all problems listed).</exception>
    /// <exception cref="LlamaInferenceException">llama.cpp could not create the context (for example, out of memory).</exception>
    public static LlamaContext Create(LlamaModel model, LlamaContextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LlamaContextOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid context options: " + string.Join(" ", errors), nameof(options));
        }

        if (model.IsVocabOnly)
        {
            throw new InvalidOperationException($"'{model.Path}' was loaded vocabulary-only; a context needs its weights.");
        }

        var threads = options.Threads == 0 ? Environment.ProcessorCount : options.Threads;
        var parameters = LlamaNative.llama_context_default_params();
        parameters.n_ctx = (uint)options.ContextSize;
        parameters.n_batch = (uint)options.BatchSize;
        parameters.n_ubatch = options.MicroBatchSize > 0
            ? (uint)Math.Min(options.MicroBatchSize, options.BatchSize)
            : Math.Min(parameters.n_ubatch, (uint)options.BatchSize);
        parameters.n_seq_max = (uint)options.MaxSequences;
        parameters.n_threads = threads;
        parameters.n_threads_batch = threads;
        parameters.kv_unified = options.KvUnified;
        parameters.no_perf = false;

        var abort = new AbortState();
        var abortHandle = GCHandle.Alloc(abort);
        parameters.abort_callback = &OnAbort;
        parameters.abort_callback_data = (void*)GCHandle.ToIntPtr(abortHandle);
        LlamaLogBridge.TakeLastError();
        SafeLlamaContextHandle? handle;
        try
        {
            handle = SafeLlamaContextHandle.Create(model.Handle, parameters);
        }
        catch
        {
            abortHandle.Free();
            throw;
        }

        if (handle is null)
        {
            abortHandle.Free();
            var reason = LlamaLogBridge.TakeLastError();
            throw new LlamaInferenceException(
                $"llama.cpp could not create a context (n_ctx={options.ContextSize}, n_batch={options.BatchSize}, n_seq_max={options.MaxSequences})" +
                (reason is null ? "." : ": " + reason));
        }

        return new LlamaContext(model, handle, abort, abortHandle);
    }

    /// <summary>
    /// Runs the model over <paramref name="batch"/>, appending its tokens to the KV cache of their sequences.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; ubatches already processed stay in the cache.</exception>
    /// <exception cref="LlamaInferenceException">llama.cpp returned an error code (the message says what it means).</exception>
    public void Decode(LlamaBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        cancellationToken.ThrowIfCancellationRequested();
        Validate(batch);

        _abort.Token = cancellationToken;
        int code;
        // The native batch is passed by value: its arrays must stay allocated until llama_decode returns.
        using (new SafeHandleLease(batch.Handle))
        {
            try
            {
                LlamaLogBridge.TakeLastError();
                code = LlamaNative.llama_decode(_handle, batch.Native);
            }
            finally
            {
                _abort.Token = CancellationToken.None;
            }
        }

        switch (code)
        {
            case 0:
                return;
            case 2 when cancellationToken.IsCancellationRequested:
                throw new OperationCanceledException("Decoding was cancelled.", cancellationToken);
            default:
                throw new LlamaInferenceException(DescribeDecodeError(code, batch)) { NativeCode = code };
        }
    }

    /// <summary>
    /// The logits (one per vocabulary token) of the batch token at <paramref name="batchIndex"/> from the last
    /// <see cref="Decode"/>; -1 is the last output. The span is valid until the next decode or dispose.
    /// </summary>
    /// <exception cref="InvalidOperationException">That token was not marked for logits.</exception>
    public ReadOnlySpan<float> GetLogits(int batchIndex)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var logits = LlamaNative.llama_get_logits_ith(_handle, batchIndex);
        if (logits == null)
        {
            throw new InvalidOperationException(
                $"No logits for batch index {batchIndex}: it is out of range or its token was added with wantLogits = false.");
        }

        return new ReadOnlySpan<float>(logits, VocabSize);
    }

    /// <summary>Removes positions [<paramref name="fromPosition"/>, <paramref name="toPosition"/>) of a sequence (-1: open end); all of it by default.</summary>
    /// <returns>False when llama.cpp cannot remove part of a sequence (removing a whole sequence always works).</returns>
    public bool RemoveSequence(int sequenceId, int fromPosition = -1, int toPosition = -1)
    {
        CheckSequence(sequenceId, allowAll: true);
        using var lease = new SafeHandleLease(_handle);
        return LlamaNative.llama_memory_seq_rm(LlamaNative.llama_get_memory(_handle), sequenceId, fromPosition, toPosition);
    }

    /// <summary>
    /// Makes the cached positions of <paramref name="source"/> also belong to <paramref name="destination"/>, without
    /// recomputing them (a shared prompt prefix). Cheap with <see cref="LlamaContextOptions.KvUnified"/>.
    /// </summary>
    public void CopySequence(int source, int destination, int fromPosition = -1, int toPosition = -1)
    {
        CheckSequence(source, allowAll: false);
        CheckSequence(destination, allowAll: false);
        using var lease = new SafeHandleLease(_handle);
        LlamaNative.llama_memory_seq_cp(LlamaNative.llama_get_memory(_handle), source, destination, fromPosition, toPosition);
    }

    /// <summary>Largest cached position of a sequence, or -1 when it is empty.</summary>
    public int GetSequenceMaxPosition(int sequenceId)
    {
        CheckSequence(sequenceId, allowAll: false);
        using var lease = new SafeHandleLease(_handle);
        return LlamaNative.llama_memory_seq_pos_max(LlamaNative.llama_get_memory(_handle), sequenceId);
    }

    /// <summary>Empties the whole KV cache (all sequences).</summary>
    public void ClearMemory()
    {
        using var lease = new SafeHandleLease(_handle);
        LlamaNative.llama_memory_clear(LlamaNative.llama_get_memory(_handle), true);
    }

    /// <summary>
    /// Timing counters since creation or <see cref="ResetPerformance"/>. llama.cpp reports token counts of at least 1,
    /// so a fresh or reset context shows 1, not 0.
    /// </summary>
    public LlamaPerformance GetPerformance()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        // llama.cpp adds a decode to its counters only when it synchronises with the backend.
        LlamaNative.llama_synchronize(_handle);
        var data = LlamaNative.llama_perf_context(_handle);
        return new LlamaPerformance(data.t_load_ms, data.t_p_eval_ms, data.t_eval_ms, data.n_p_eval, data.n_eval, data.n_reused);
    }

    public void ResetPerformance()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        LlamaNative.llama_perf_context_reset(_handle);
    }

    public void Dispose()
    {
        _handle.Dispose();
        // After llama_free nothing can call the abort callback any more, so its state may go.
        if (_handle.IsClosed && _abortHandle.IsAllocated)
        {
            _abortHandle.Free();
        }
    }

    private void Validate(LlamaBatch batch)
    {
        if (batch.Count == 0)
        {
            throw new ArgumentException("The batch is empty.", nameof(batch));
        }

        if (batch.Count > BatchSize)
        {
            throw new ArgumentException($"The batch holds {batch.Count} tokens but this context takes at most {BatchSize} per decode.", nameof(batch));
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var token = batch.TokenAt(i);
            if ((uint)token >= (uint)VocabSize)
            {
                throw new ArgumentException($"Batch token {i} is {token}, outside the vocabulary [0, {VocabSize}).", nameof(batch));
            }

            foreach (var sequence in batch.SequencesAt(i))
            {
                if ((uint)sequence >= (uint)MaxSequences)
                {
                    throw new ArgumentException($"Batch token {i} names sequence {sequence}; this context has sequences 0 to {MaxSequences - 1}.", nameof(batch));
                }
            }
        }
    }

    private string DescribeDecodeError(int code, LlamaBatch batch)
    {
        var reason = LlamaLogBridge.TakeLastError();
        var meaning = code switch
        {
            1 => $"no room in the KV cache for {batch.Count} more tokens (context size {ContextSize}); remove finished sequences or use a larger context",
            2 => "aborted",
            -1 => "the batch is invalid (positions must continue each sequence's cached positions)",
            _ => "fatal error in llama.cpp",
        };
        return $"llama_decode failed with code {code}: {meaning}" + (reason is null ? "." : $" ({reason}).");
    }

    private void CheckSequence(int sequenceId, bool allowAll)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (allowAll && sequenceId == -1)
        {
            return;
        }

        if ((uint)sequenceId >= (uint)MaxSequences)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceId), sequenceId, $"Sequences are 0 to {MaxSequences - 1}{(allowAll ? " (or -1 for all)" : string.Empty)}.");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static NativeBool OnAbort(void* data)
    {
        var state = GCHandle.FromIntPtr((nint)data).Target as AbortState;
        return state is not null && state.Token.IsCancellationRequested;
    }

    private sealed class AbortState
    {
        public CancellationToken Token { get; set; }
    }
}
