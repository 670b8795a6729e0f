using Guardrail.LlamaCpp.Generation;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.LlamaCpp.Inference;

/// <summary>
/// One request's llama.cpp sampler chain: penalties, then top-k, top-p, min-p, temperature and a seeded draw, or
/// greedy at temperature 0. The chain keeps the penalty history, so one chain serves exactly one sequence.
/// </summary>
internal sealed class LlamaSamplerChain : IDisposable
{
    /// <summary>llama.cpp's <c>LLAMA_DEFAULT_SEED</c>: a seed drawn at random.</summary>
    private const uint RandomSeed = 0xFFFFFFFF;

    private readonly SafeLlamaSamplerHandle _chain;

    public LlamaSamplerChain(SamplingOptions sampling, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        _chain = SafeLlamaSamplerHandle.CreateChain();
        try
        {
            if (sampling.HasPenalties)
            {
                _chain.Add(LlamaNative.llama_sampler_init_penalties(
                    vocabSize, sampling.PenaltyLastTokens, sampling.RepetitionPenalty, sampling.FrequencyPenalty, sampling.PresencePenalty));
            }

            if (sampling.Temperature == 0)
            {
                _chain.Add(LlamaNative.llama_sampler_init_greedy());
                return;
            }

            if (sampling.TopK > 0)
            {
                _chain.Add(LlamaNative.llama_sampler_init_top_k(sampling.TopK));
            }

            if (sampling.TopP < 1)
            {
                _chain.Add(LlamaNative.llama_sampler_init_top_p(sampling.TopP, 1));
            }

            if (sampling.MinP > 0)
            {
                _chain.Add(LlamaNative.llama_sampler_init_min_p(sampling.MinP, 1));
            }

            _chain.Add(LlamaNative.llama_sampler_init_temp(sampling.Temperature));
            _chain.Add(LlamaNative.llama_sampler_init_dist(sampling.Seed ?? RandomSeed));
        }
        catch
        {
            _chain.Dispose();
            throw;
        }
    }

    /// <summary>Samples (and accepts into the penalty history) a token from the logits of batch index <paramref name="batchIndex"/>.</summary>
    public int Sample(LlamaContext context, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(context);
        return LlamaNative.llama_sampler_sample(_chain, context.Handle, batchIndex);
    }

    public void Dispose() => _chain.Dispose();
}
