namespace Guardrail.LlamaCpp.Generation;

/// <summary>Settings of the generation engine: one model, one context with <see cref="Parallel"/> sequences.</summary>
public sealed record GenerationEngineOptions
{
    /// <summary>Path of a llama-architecture GGUF file (Llama 3 instruct, or Llama Guard when serving it).</summary>
    public required string ModelPath { get; init; }

    /// <summary>Layers offloaded to the GPU: -1 (default) all of them, 0 none.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>
    /// KV budget of one request in tokens: its prompt plus everything it generates. Default 4096; range 64 to 131072.
    /// The context holds <see cref="Parallel"/> times this many tokens.
    /// </summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>Sequences decoded together (continuous batching). Default 4; range 1 to 64.</summary>
    public int Parallel { get; init; } = 4;

    /// <summary>CPU threads for decoding; 0 (default) lets llama.cpp use every core.</summary>
    public int Threads { get; init; }

    /// <summary>Tokens one <c>llama_decode</c> takes (prompt chunks and generation steps together). Default 512; range 32 to 8192.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Requests that may wait while every sequence is busy; one more is refused at once. Default 64; range 1 to 65536.</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>
    /// Keeps each sequence's KV cells when its request ends, and starts the next request on the free sequence whose
    /// cells share the longest token prefix with its prompt, decoding only the rest (as llama.cpp's server does per
    /// slot). A Llama Guard server's checks share the whole policy prefix, and a chat's turns share the earlier turns.
    /// The kept cells hold what decoding those tokens again would write (up to the rounding of a different batch
    /// shape). Default true.
    /// </summary>
    public bool ReusePrompts { get; init; } = true;

    /// <summary>Errors in these settings, each naming the setting and its range; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            errors.Add($"{nameof(ModelPath)} is required: the path of a GGUF model file.");
        }

        void Range(int value, int min, int max, string name, string? extra = null)
        {
            if (value < min || value > max)
            {
                errors.Add($"{name} must be {min} to {max}{extra}, was {value}.");
            }
        }

        Range(GpuLayers, -1, 10000, nameof(GpuLayers), " (-1: all layers)");
        Range(ContextSize, 64, 131072, nameof(ContextSize));
        Range(Parallel, 1, 64, nameof(Parallel));
        Range(Threads, 0, 1024, nameof(Threads), " (0: every core)");
        Range(BatchSize, 32, 8192, nameof(BatchSize));
        Range(QueueCapacity, 1, 65536, nameof(QueueCapacity));
        if (BatchSize < Parallel)
        {
            errors.Add($"{nameof(BatchSize)} ({BatchSize}) must be at least {nameof(Parallel)} ({Parallel}): every sequence adds a token to each step.");
        }
        return errors;
    }
}
