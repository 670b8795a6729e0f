namespace Guardrail.Classification;

/// <summary>A classifier's answer for one request, with what it is based on.</summary>
public sealed record GuardVerdict
{
    /// <summary>Safe, unsafe or error (from the generated answer, see <see cref="LlamaGuardOutputParser"/>).</summary>
    public required GuardOutcome Outcome { get; init; }

    /// <summary>
    /// P(<c>unsafe</c>) at the first output position, from the softmax over the whole vocabulary; compare it with
    /// the policy's threshold. Null when it could not be computed (error verdicts).
    /// </summary>
    public double? UnsafeProbability { get; init; }

    /// <summary>Category codes the model named (unsafe only), in its order.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Items of the category line that were not codes; recorded for review.</summary>
    public IReadOnlyList<string> UnparsedCategories { get; init; } = [];

    /// <summary>True when the conversation did not fit and turns or tokens were left out.</summary>
    public bool Truncated { get; init; }

    /// <summary>How many of the oldest turns were left out.</summary>
    public int DroppedTurns { get; init; }

    /// <summary>How many tokens were cut from the middle of the last turn.</summary>
    public int OmittedTokens { get; init; }

    /// <summary>The text the model generated, as generated.</summary>
    public string RawOutput { get; init; } = string.Empty;

    /// <summary>Why there is no verdict (error only).</summary>
    public string? Error { get; init; }

    /// <summary>Which model answered (file name, preset or remote model id).</summary>
    public string? ModelId { get; init; }

    /// <summary>Which remote classifier endpoint answered (its base URL); null in process.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Time from the request entering the classifier to the verdict.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>An error verdict: no answer could be had.</summary>
    public static GuardVerdict Failed(string error, string? modelId = null, TimeSpan latency = default) =>
        new() { Outcome = GuardOutcome.Error, Error = error, ModelId = modelId, Latency = latency };

    /// <summary>
    /// The verdict for a generated answer: parses <paramref name="rawOutput"/> and carries the probability and
    /// the truncation facts of <paramref name="prompt"/>.
    /// </summary>
    public static GuardVerdict FromOutput(string rawOutput, double unsafeProbability, TokenizedPrompt prompt, string? modelId, TimeSpan latency)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var output = LlamaGuardOutputParser.Parse(rawOutput);
        return new GuardVerdict
        {
            Outcome = output.Outcome,
            UnsafeProbability = unsafeProbability,
            Categories = output.Categories,
            UnparsedCategories = output.UnparsedCategories,
            Truncated = prompt.Truncated,
            DroppedTurns = prompt.DroppedTurns,
            OmittedTokens = prompt.OmittedTokens,
            RawOutput = rawOutput ?? string.Empty,
            Error = output.Error,
            ModelId = modelId,
            Latency = latency,
        };
    }
}
