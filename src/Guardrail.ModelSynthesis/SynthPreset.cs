using Guardrail.Classification;

namespace Guardrail.ModelSynthesis;

/// <summary>A named model shape for random-weight synthesis.</summary>
/// <param name="Name">The name used on the command line, for example <c>llama-guard-3-1b</c>.</param>
/// <param name="Description">One line for help text.</param>
/// <param name="Shape">The llama hyper-parameters.</param>
/// <param name="Imitates">The Llama Guard variant whose shape this is, written into the file's metadata; null for test shapes.</param>
internal sealed record SynthPreset(string Name, string Description, LlamaHyperParameters Shape, GuardModelVariant? Imitates = null)
{
    /// <summary>Llama Guard 3 1B: the Llama 3.2 1B shape with an untied output matrix (about 1.5 B weights).</summary>
    public static SynthPreset LlamaGuard3OneB { get; } = new(
        "llama-guard-3-1b",
        "Llama Guard 3 1B shape: 2048 dim, 16 layers, 32/8 heads, FFN 8192 (~1.5B params)",
        new LlamaHyperParameters
        {
            EmbeddingLength = 2048,
            BlockCount = 16,
            HeadCount = 32,
            HeadCountKv = 8,
            FeedForwardLength = 8192,
        },
        GuardModelVariant.LlamaGuard3OneB);

    /// <summary>Llama Guard 3 8B: the Llama 3.1 8B shape (about 8 B weights).</summary>
    public static SynthPreset LlamaGuard3EightB { get; } = new(
        "llama-guard-3-8b",
        "Llama Guard 3 8B shape: 4096 dim, 32 layers, 32/8 heads, FFN 14336 (~8B params)",
        new LlamaHyperParameters
        {
            EmbeddingLength = 4096,
            BlockCount = 32,
            HeadCount = 32,
            HeadCountKv = 8,
            FeedForwardLength = 14336,
        },
        GuardModelVariant.LlamaGuard3EightB);

    /// <summary>
    /// Llama 3.2 1B Instruct, the generation model of the built-in backend: the same shape as Llama Guard 3 1B. The
    /// real file ties its output matrix to the embeddings; this one writes it untied, which costs file size but not
    /// compute (llama.cpp multiplies by the output matrix either way).
    /// </summary>
    public static SynthPreset Llama32OneB { get; } = new(
        "llama-3.2-1b",
        "Llama 3.2 1B shape: 2048 dim, 16 layers, 32/8 heads, FFN 8192 (output untied)",
        LlamaGuard3OneB.Shape);

    /// <summary>
    /// The smallest shape for tests: every row length is a multiple of 256 so that K-quants (Q4_K_M) apply to every
    /// matrix, as they do in the real models.
    /// </summary>
    public static SynthPreset Tiny { get; } = new(
        "tiny",
        "test shape: 256 dim, 2 layers, 4/2 heads, FFN 512",
        new LlamaHyperParameters
        {
            EmbeddingLength = 256,
            BlockCount = 2,
            HeadCount = 4,
            HeadCountKv = 2,
            FeedForwardLength = 512,
            ContextLength = 8192,
        });

    /// <summary>A still cheap shape with grouped-query attention like the real models, for quick benchmarks.</summary>
    public static SynthPreset Small { get; } = new(
        "small",
        "test shape: 512 dim, 4 layers, 8/2 heads, FFN 1536",
        new LlamaHyperParameters
        {
            EmbeddingLength = 512,
            BlockCount = 4,
            HeadCount = 8,
            HeadCountKv = 2,
            FeedForwardLength = 1536,
            ContextLength = 8192,
        });

    public static IReadOnlyList<SynthPreset> All { get; } = [LlamaGuard3OneB, LlamaGuard3EightB, Llama32OneB, Small, Tiny];

    /// <summary>The preset named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static SynthPreset? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
