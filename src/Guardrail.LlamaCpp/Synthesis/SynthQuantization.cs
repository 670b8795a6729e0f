namespace Guardrail.LlamaCpp.Synthesis;

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
