using System.Runtime.InteropServices;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis;

/// <summary>
/// What the hand-weighted models (the keyword guard, the scripted generator) share: one block, a 64-wide residual,
/// one attention head as wide as the residual whose last channel is position-free under a base frequency of 1e30,
/// F16 matrices written row by row, and RMS norm weights that turn a residual of n ones back into plain ones.
/// </summary>
internal static class HandWeightedTensors
{
    /// <summary>Residual width (and head size).</summary>
    public const int Width = 64;

    /// <summary>The head channel the query and key use; the second of the last rotary pair, never rotated.</summary>
    public const int AttentionChannel = Width - 1;

    /// <summary>Base frequency that leaves the last rotary pair unrotated at any position up to the context length.</summary>
    public const float RopeFreqBase = 1e30f;

    /// <summary>One block, one head as wide as the residual, a nominal zero feed-forward.</summary>
    public static LlamaHyperParameters Shape(int vocabularySize) => new()
    {
        EmbeddingLength = Width,
        BlockCount = 1,
        HeadCount = 1,
        HeadCountKv = 1,
        FeedForwardLength = Width,
        VocabularySize = vocabularySize,
        ContextLength = 131072,
        RopeFreqBase = RopeFreqBase,
        RmsNormEpsilon = 1e-5f,
    };

    public static GgmlType TypeOf(LlamaTensorSpec tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.Role == LlamaTensorRole.Norm ? GgmlType.F32 : GgmlType.F16;
    }

    /// <summary>
    /// RMS norm divides by sqrt(mean of squares): an embedding of <paramref name="embeddingOnes"/> ones, a final
    /// residual of <paramref name="outputOnes"/> ones. These weights undo that so the next matrix sees plain ones.
    /// </summary>
    public static void WriteNorm(LlamaTensorSpec tensor, GgufWriter writer, int embeddingOnes, int outputOnes)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(writer);
        var scale = tensor.Name switch
        {
            "blk.0.attn_norm.weight" => MathF.Sqrt((float)embeddingOnes / Width),
            "output_norm.weight" => MathF.Sqrt((float)outputOnes / Width),
            _ => 1f,
        };
        var values = new float[tensor.ElementCount];
        Array.Fill(values, scale);
        writer.WriteTensorData(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>Writes <paramref name="rows"/> F16 rows of <see cref="Width"/>, each filled by <paramref name="fill"/> from zeros.</summary>
    public static void WriteRows(GgufWriter writer, int rows, Action<int, Span<float>> fill, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(fill);
        var values = new float[Width];
        var halves = new Half[Width];
        for (var r = 0; r < rows; r++)
        {
            if ((r & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            Array.Clear(values);
            fill(r, values);
            for (var i = 0; i < Width; i++)
            {
                halves[i] = (Half)values[i];
            }

            writer.WriteTensorData(MemoryMarshal.AsBytes(halves.AsSpan()));
        }
    }
}
