namespace Guardrail.LlamaCpp.Inference;

/// <summary>How to load a model file.</summary>
internal sealed record LlamaModelLoadOptions
{
    /// <summary>Layers to offload to the GPU: -1 (default) all, 0 none. Ignored when the runtime has no GPU.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>Load only the tokenizer, no weights: enough for <see cref="LlamaVocab"/>, not for a context. Default false.</summary>
    public bool VocabOnly { get; init; }

    /// <summary>
    /// Called on the loading thread with the load fraction, 0 to 1. An exception thrown here aborts the load and is
    /// rethrown by <see cref="LlamaModel.Load"/>.
    /// </summary>
    public Action<float>? Progress { get; init; }
}
