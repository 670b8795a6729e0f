namespace Guardrail.LlamaCpp.Native;

/// <summary>Owns the arrays of a <c>llama_batch</c> allocated by <c>llama_batch_init</c>.</summary>
internal sealed unsafe class SafeLlamaBatchHandle : System.Runtime.InteropServices.SafeHandle
{
    private LlamaNativeBatch _batch;

    private SafeLlamaBatchHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>The batch as llama.cpp sees it; valid while this handle is open.</summary>
    public ref LlamaNativeBatch Batch => ref _batch;

    /// <summary>Allocates room for <paramref name="capacity"/> tokens, each in up to <paramref name="maxSequencesPerToken"/> sequences.</summary>
    public static SafeLlamaBatchHandle Allocate(int capacity, int maxSequencesPerToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequencesPerToken, 1);
        var owner = new SafeLlamaBatchHandle();
        var batch = LlamaNative.llama_batch_init(capacity, 0, maxSequencesPerToken);
        if (batch.token == null || batch.seq_id == null)
        {
            throw new Inference.LlamaInferenceException($"llama_batch_init could not allocate a batch of {capacity} tokens.");
        }

        owner._batch = batch;
        owner.SetHandle((nint)batch.token);
        return owner;
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_batch_free(_batch);
        _batch = default;
        return true;
    }
}
