using System.Globalization;

namespace Guardrail.LlamaCpp.Generation;

/// <summary>
/// How one request picks each next token, with OpenAI's names and defaults. Applied through llama.cpp's sampler chain
/// in this order: repetition/frequency/presence penalties, top-k, top-p, min-p, temperature, a seeded draw; at
/// temperature 0 the draw is greedy (the most likely token, the same text every time).
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>0 to 2; 0 is greedy. Default 1.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Nucleus sampling: the smallest set of tokens whose probability reaches this, 0 (exclusive) to 1. Default 1 (off).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Only the k most likely tokens; 0 (default) is off.</summary>
    public int TopK { get; init; }

    /// <summary>Drops tokens less likely than this fraction of the most likely one, 0 to 1. Default 0 (off).</summary>
    public float MinP { get; init; }

    /// <summary>Seed of the draw; null (default) draws a random seed. Same seed, same request: same text.</summary>
    public uint? Seed { get; init; }

    /// <summary>Multiplicative penalty on tokens already in the recent window, greater than 0; 1 (default) is off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>OpenAI's <c>frequency_penalty</c>, -2 to 2, subtracted per earlier occurrence. Default 0.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>OpenAI's <c>presence_penalty</c>, -2 to 2, subtracted once for any earlier occurrence. Default 0.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>How many recent tokens the penalties look at, 1 to 4096. Default 64.</summary>
    public int PenaltyLastTokens { get; init; } = 64;

    internal bool HasPenalties => RepetitionPenalty != 1f || FrequencyPenalty != 0f || PresencePenalty != 0f;

    /// <summary>Every problem, each naming the OpenAI parameter; empty when valid.</summary>
    public IReadOnlyList<(string Parameter, string Message)> Validate()
    {
        var errors = new List<(string, string)>();
        void Check(bool ok, string parameter, string range, float value)
        {
            if (!ok)
            {
                errors.Add((parameter, string.Create(CultureInfo.InvariantCulture, $"'{parameter}' must be {range}, was {value}.")));
            }
        }

        Check(float.IsFinite(Temperature) && Temperature is >= 0 and <= 2, "temperature", "0 to 2", Temperature);
        Check(float.IsFinite(TopP) && TopP is > 0 and <= 1, "top_p", "greater than 0 and at most 1", TopP);
        Check(TopK >= 0, "top_k", "0 (off) or positive", TopK);
        Check(float.IsFinite(MinP) && MinP is >= 0 and <= 1, "min_p", "0 to 1", MinP);
        Check(float.IsFinite(RepetitionPenalty) && RepetitionPenalty is > 0 and <= 10, "repetition_penalty", "greater than 0 and at most 10", RepetitionPenalty);
        Check(float.IsFinite(FrequencyPenalty) && FrequencyPenalty is >= -2 and <= 2, "frequency_penalty", "-2 to 2", FrequencyPenalty);
        Check(float.IsFinite(PresencePenalty) && PresencePenalty is >= -2 and <= 2, "presence_penalty", "-2 to 2", PresencePenalty);
        Check(PenaltyLastTokens is >= 1 and <= 4096, "penalty_last_n", "1 to 4096", PenaltyLastTokens);
        return errors;
    }
}
