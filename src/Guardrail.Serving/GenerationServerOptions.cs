using Guardrail.LlamaCpp.Generation;

namespace Guardrail.Serving;

/// <summary>Settings of the OpenAI-compatible generation server (the gateway's built-in backend, <c>guardrail serve</c>).</summary>
public sealed class GenerationServerOptions
{
    /// <summary>Path of the GGUF model to serve (Llama 3 instruct, or Llama Guard for remote classification).</summary>
    public string ModelPath { get; init; } = string.Empty;

    /// <summary>The model's name in <c>/v1/models</c> and in responses; null (default): the file name without <c>.gguf</c>.</summary>
    public string? ModelId { get; init; }

    /// <summary>Layers offloaded to the GPU: -1 (default) all of them, 0 none.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Tokens one request may use, prompt plus completion (its KV budget). Default 4096; 64 to 131072.</summary>
    public int ContextSize { get; init; } = 4096;

    /// <summary>Requests generated together (continuous batching). Default 4; 1 to 64.</summary>
    public int Parallel { get; init; } = 4;

    /// <summary>CPU threads for decoding; 0 (default) every core.</summary>
    public int Threads { get; init; }

    /// <summary>Tokens per <c>llama_decode</c>. Default 512; 32 to 8192, at least <see cref="Parallel"/>.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Requests that may wait while every sequence is busy; one more is answered 503 with Retry-After. Default 64; 1 to 65536.</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>
    /// Keep each sequence's KV cells after its request and decode only what a new prompt does not share with them
    /// (<see cref="GenerationEngineOptions.ReusePrompts"/>). Default true.
    /// </summary>
    public bool ReusePrompts { get; init; } = true;

    /// <summary>Largest request body accepted; larger is answered 413. Default 4 MiB; 1 KiB to 256 MiB.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// When set, every request needs <c>Authorization: Bearer</c> this key (at least 16 characters). Null (default)
    /// serves without a key, which <c>guardrail serve</c> allows only on a loopback address.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>The name clients see for the model.</summary>
    public string EffectiveModelId => string.IsNullOrWhiteSpace(ModelId) ? Path.GetFileNameWithoutExtension(ModelPath) : ModelId;

    /// <summary>Every problem with these settings, each naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(EngineOptions().Validate());
        if (!string.IsNullOrWhiteSpace(ModelPath) && !File.Exists(ModelPath))
        {
            errors.Add($"{nameof(ModelPath)} '{ModelPath}' does not exist: give the path of a GGUF file (guardrail model pull fetches one).");
        }

        if (MaxRequestBodyBytes is < 1024 or > 256L * 1024 * 1024)
        {
            errors.Add($"{nameof(MaxRequestBodyBytes)} must be 1024 to 268435456, was {MaxRequestBodyBytes}.");
        }

        if (ApiKey is not null && ApiKey.Trim().Length < 16)
        {
            errors.Add($"{nameof(ApiKey)} must be at least 16 characters when set.");
        }

        return errors;
    }

    internal GenerationEngineOptions EngineOptions() => new()
    {
        ModelPath = ModelPath,
        GpuLayers = GpuLayers,
        ContextSize = ContextSize,
        Parallel = Parallel,
        Threads = Threads,
        BatchSize = BatchSize,
        QueueCapacity = QueueCapacity,
        ReusePrompts = ReusePrompts,
    };
}
