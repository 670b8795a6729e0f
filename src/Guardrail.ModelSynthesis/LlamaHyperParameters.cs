using System.Globalization;

namespace Guardrail.ModelSynthesis;

/// <summary>
/// The shape of a llama-architecture model as llama.cpp reads it from <c>llama.*</c> metadata keys.
/// </summary>
internal sealed record LlamaHyperParameters
{
    /// <summary>Width of the residual stream (<c>llama.embedding_length</c>).</summary>
    public required int EmbeddingLength { get; init; }

    /// <summary>Number of transformer blocks (<c>llama.block_count</c>).</summary>
    public required int BlockCount { get; init; }

    /// <summary>Query heads (<c>llama.attention.head_count</c>); the head size is <see cref="EmbeddingLength"/> / this.</summary>
    public required int HeadCount { get; init; }

    /// <summary>Key/value heads (<c>llama.attention.head_count_kv</c>); divides <see cref="HeadCount"/>.</summary>
    public required int HeadCountKv { get; init; }

    /// <summary>Hidden width of the SwiGLU feed-forward network (<c>llama.feed_forward_length</c>).</summary>
    public required int FeedForwardLength { get; init; }

    /// <summary>Vocabulary size; must equal the token count of the tokenizer metadata written beside it.</summary>
    public int VocabularySize { get; init; } = 128256;

    /// <summary>Training context length (<c>llama.context_length</c>).</summary>
    public int ContextLength { get; init; } = 131072;

    /// <summary>RoPE base frequency (<c>llama.rope.freq_base</c>).</summary>
    public float RopeFreqBase { get; init; } = 500000f;

    /// <summary>RMS normalisation epsilon (<c>llama.attention.layer_norm_rms_epsilon</c>).</summary>
    public float RmsNormEpsilon { get; init; } = 1e-5f;

    /// <summary>Head size, also the rotary dimension count (llama.cpp requires them equal for this architecture).</summary>
    public int HeadSize => EmbeddingLength / HeadCount;

    /// <summary>Width of the key and value projections (all key/value heads together).</summary>
    public int KeyValueWidth => HeadSize * HeadCountKv;

    /// <summary>Every problem with this shape; empty when llama.cpp can load it.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Positive(string name, long value)
        {
            if (value <= 0)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be positive (was {value})."));
            }
        }

        Positive(nameof(EmbeddingLength), EmbeddingLength);
        Positive(nameof(BlockCount), BlockCount);
        Positive(nameof(HeadCount), HeadCount);
        Positive(nameof(HeadCountKv), HeadCountKv);
        Positive(nameof(FeedForwardLength), FeedForwardLength);
        Positive(nameof(VocabularySize), VocabularySize);
        Positive(nameof(ContextLength), ContextLength);
        if (HeadCount > 0 && EmbeddingLength % HeadCount != 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"EmbeddingLength {EmbeddingLength} is not a multiple of HeadCount {HeadCount}."));
        }
        else if (HeadCount > 0 && HeadSize % 2 != 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"The head size {HeadSize} must be even for rotary embeddings."));
        }

        if (HeadCountKv > 0 && HeadCount % HeadCountKv != 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"HeadCount {HeadCount} is not a multiple of HeadCountKv {HeadCountKv}."));
        }

        if (!(RopeFreqBase > 0) || float.IsInfinity(RopeFreqBase))
        {
            errors.Add("RopeFreqBase must be a positive finite number.");
        }

        if (!(RmsNormEpsilon > 0) || float.IsInfinity(RmsNormEpsilon))
        {
            errors.Add("RmsNormEpsilon must be a positive finite number.");
        }

        return errors;
    }
}
