namespace Guardrail.LlamaCpp.Inference;

/// <summary>Sizes of an inference context.</summary>
internal sealed record LlamaContextOptions
{
    /// <summary>
    /// KV cache size in tokens, shared by all sequences when <see cref="KvUnified"/> is true and split evenly between
    /// them otherwise. 0 takes the model's training context (128k for Llama 3: large). Default 4096.
    /// </summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>Most tokens one <see cref="LlamaContext.Decode"/> call takes. Default 512.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>
    /// Tokens computed together inside one decode (llama.cpp's <c>n_ubatch</c>); larger values speed up big prompt
    /// batches at the cost of compute memory. 0 (default) keeps llama.cpp's 512, capped at <see cref="BatchSize"/>.
    /// </summary>
    public int MicroBatchSize { get; init; }

    /// <summary>Distinct sequences (independent conversations) the cache holds, 1 to 256. Default 1.</summary>
    public int MaxSequences { get; init; } = 1;

    /// <summary>CPU threads for decoding; 0 (default) uses every processor.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// One KV buffer for all sequences: needed to copy a shared prefix into several sequences cheaply. Default false.
    /// </summary>
    public bool KvUnified { get; init; }

    /// <summary>Every problem with these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ContextSize < 0)
        {
            errors.Add($"{nameof(ContextSize)} must be 0 (from model) or positive, was {ContextSize}.");
        }

        if (BatchSize < 1)
        {
            errors.Add($"{nameof(BatchSize)} must be positive, was {BatchSize}.");
        }

        if (MicroBatchSize < 0)
        {
            errors.Add($"{nameof(MicroBatchSize)} must be 0 (default) or positive, was {MicroBatchSize}.");
        }

        if (MaxSequences is < 1 or > 256)
        {
            errors.Add($"{nameof(MaxSequences)} must be 1 to 256, was {MaxSequences}.");
        }

        if (Threads < 0)
        {
            errors.Add($"{nameof(Threads)} must be 0 (all processors) or positive, was {Threads}.");
        }

        if (ContextSize > 0 && !KvUnified && MaxSequences > 1 && ContextSize / MaxSequences < 1)
        {
            errors.Add($"{nameof(ContextSize)} {ContextSize} is too small for {MaxSequences} separate sequences.");
        }

        return errors;
    }
}
