namespace Guardrail.ModelSynthesis;

/// <summary>Storage format of a synthesized random model.</summary>
internal enum SynthQuantization
{
    /// <summary>As written: F16 matrices, F32 norms.</summary>
    F16,

    /// <summary>8-bit blocks through <c>llama_model_quantize</c>.</summary>
    Q8_0,

    /// <summary>4-bit K-quants, medium mix, through <c>llama_model_quantize</c>.</summary>
    Q4_K_M,
}

/// <summary>Command-line names of <see cref="SynthQuantization"/>.</summary>
internal static class SynthQuantizationNames
{
    /// <summary>Parses <c>F16</c>, <c>Q8_0</c> or <c>Q4_K_M</c> (case-insensitive; numbers are not accepted).</summary>
    public static bool TryParse(string text, out SynthQuantization quantization)
    {
        foreach (var value in Enum.GetValues<SynthQuantization>())
        {
            if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                quantization = value;
                return true;
            }
        }

        quantization = SynthQuantization.F16;
        return false;
    }
}
