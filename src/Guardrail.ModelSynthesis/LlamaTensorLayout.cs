using System.Globalization;

namespace Guardrail.ModelSynthesis;

/// <summary>Role of a tensor in a llama block, which decides how synthesized weights are drawn.</summary>
internal enum LlamaTensorRole
{
    TokenEmbedding,
    Norm,
    AttentionQuery,
    AttentionKey,
    AttentionValue,
    AttentionOutput,
    FeedForwardGate,
    FeedForwardUp,
    FeedForwardDown,
    Output,
}

/// <summary>One tensor llama.cpp expects, with ggml dimensions (innermost first: a matrix is {input width, output width}).</summary>
internal sealed record LlamaTensorSpec(string Name, LlamaTensorRole Role, int Block, long[] Dimensions)
{
    public long ElementCount => Dimensions.Aggregate(1L, (product, dimension) => checked(product * dimension));
}

/// <summary>
/// The tensors of a llama-architecture model with an untied output matrix, named and shaped as llama.cpp's loader
/// requires them, in the order llama.cpp's converter writes them.
/// </summary>
internal static class LlamaTensorLayout
{
    public static IReadOnlyList<LlamaTensorSpec> For(LlamaHyperParameters shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long embd = shape.EmbeddingLength;
        long kv = shape.KeyValueWidth;
        long ff = shape.FeedForwardLength;
        long vocab = shape.VocabularySize;

        var tensors = new List<LlamaTensorSpec>(2 + (shape.BlockCount * 9) + 2)
        {
            new("token_embd.weight", LlamaTensorRole.TokenEmbedding, -1, [embd, vocab]),
        };
        for (var block = 0; block < shape.BlockCount; block++)
        {
            string Name(string part) => string.Create(CultureInfo.InvariantCulture, $"blk.{block}.{part}.weight");
            tensors.Add(new(Name("attn_norm"), LlamaTensorRole.Norm, block, [embd]));
            tensors.Add(new(Name("attn_q"), LlamaTensorRole.AttentionQuery, block, [embd, embd]));
            tensors.Add(new(Name("attn_k"), LlamaTensorRole.AttentionKey, block, [embd, kv]));
            tensors.Add(new(Name("attn_v"), LlamaTensorRole.AttentionValue, block, [embd, kv]));
            tensors.Add(new(Name("attn_output"), LlamaTensorRole.AttentionOutput, block, [embd, embd]));
            tensors.Add(new(Name("ffn_norm"), LlamaTensorRole.Norm, block, [embd]));
            tensors.Add(new(Name("ffn_gate"), LlamaTensorRole.FeedForwardGate, block, [embd, ff]));
            tensors.Add(new(Name("ffn_up"), LlamaTensorRole.FeedForwardUp, block, [embd, ff]));
            tensors.Add(new(Name("ffn_down"), LlamaTensorRole.FeedForwardDown, block, [ff, embd]));
        }

        tensors.Add(new("output_norm.weight", LlamaTensorRole.Norm, -1, [embd]));
        tensors.Add(new("output.weight", LlamaTensorRole.Output, -1, [embd, vocab]));
        return tensors;
    }

    /// <summary>Total number of weights, computed from the shape alone.</summary>
    public static long ParameterCount(LlamaHyperParameters shape) => For(shape).Sum(t => t.ElementCount);
}
