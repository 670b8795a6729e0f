namespace Guardrail.Classification;

/// <summary>Probabilities from raw logits, computed over the whole vocabulary without overflow.</summary>
public static class TokenProbability
{
    /// <summary>
    /// softmax(<paramref name="logits"/>)[<paramref name="tokenId"/>], as exp(logit - logsumexp(logits)).
    /// </summary>
    /// <exception cref="ArgumentException">The logits are empty or hold NaN or +infinity.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The token id is outside the logits.</exception>
    public static double Of(ReadOnlySpan<float> logits, int tokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tokenId, logits.Length);
        return Math.Exp(logits[tokenId] - LogSumExp(logits));
    }

    /// <summary>
    /// log(sum(exp(logits))), shifted by the largest logit so that no term overflows and the largest is exactly
    /// exp(0); summed in double precision so that 128k small terms do not vanish against the largest.
    /// </summary>
    /// <exception cref="ArgumentException">The logits are empty, all -infinity, or hold NaN or +infinity.</exception>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("There are no logits.", nameof(logits));
        }

        var max = double.NegativeInfinity;
        foreach (var logit in logits)
        {
            if (float.IsNaN(logit) || float.IsPositiveInfinity(logit))
            {
                throw new ArgumentException("The logits hold NaN or +infinity; the model's output is unusable.", nameof(logits));
            }

            max = Math.Max(max, logit);
        }

        if (double.IsNegativeInfinity(max))
        {
            throw new ArgumentException("Every logit is -infinity.", nameof(logits));
        }

        var sum = 0.0;
        foreach (var logit in logits)
        {
            sum += Math.Exp(logit - max);
        }

        return max + Math.Log(sum);
    }
}
