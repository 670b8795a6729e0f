namespace Guardrail.LlamaCpp.Generation;

/// <summary>One generation: prompt tokens (from <see cref="GenerationEngine.TokenizeChat"/> or
/// <see cref="GenerationEngine.TokenizeText"/>), how to sample, and when to stop.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<int> PromptTokens { get; init; }

    /// <summary>Most tokens to generate; null: until the end of the turn or the request's KV budget.</summary>
    public int? MaxTokens { get; init; }

    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Up to 4 strings that end the generation; the stop string itself is not returned.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Return the log probability of each generated token.</summary>
    public bool Logprobs { get; init; }

    /// <summary>With <see cref="Logprobs"/>, this many most likely alternatives per position, 0 to 20.</summary>
    public int TopLogprobs { get; init; }
}
