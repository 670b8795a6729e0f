using Guardrail.Cli.Evaluation;

namespace Guardrail.Cli.Tests.Evaluation;

/// <summary>Hand-made answers and runs for the scoring and comparison tests.</summary>
internal static class EvaluationItems
{
    /// <summary>An answer at threshold 0.5: flagged when the score is at or above it.</summary>
    public static EvaluatedItem Answer(string id, bool expectedUnsafe, string[] expected, double? score, params string[] named) => new()
    {
        Id = id,
        Line = 1,
        Direction = "prompt",
        ExpectedUnsafe = expectedUnsafe,
        ExpectedCategories = expected,
        Verdict = score is null ? "error" : score >= 0.5 ? "unsafe" : "safe",
        Score = score,
        Categories = score >= 0.5 ? named : [],
        Action = score is null || score >= 0.5 ? "block" : "allow",
        Error = score is null ? "the model said something else" : null,
        PredictedUnsafe = score is null || score >= 0.5,
    };

    public static EvaluationRun Run(params string[] categoriesSent) => new()
    {
        Model = "test model",
        Variant = "unknown",
        PolicyId = "default",
        PolicyVersion = "v1",
        Threshold = 0.5,
        CategoriesSent = categoriesSent,
        SetFile = "/sets/test.jsonl",
        SetSha256 = new string('a', 64),
        Direction = "all",
        Time = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero),
        Seconds = 2,
        ItemsPerSecond = 2.5,
        DecodeSeconds = 1.5,
    };

    public static Guardrail.Taxonomy.HazardTaxonomy TestTaxonomy() =>
        Guardrail.Taxonomy.TaxonomyLoader.LoadFile(RepositoryRoot.Combine("taxonomy", "llama-guard-3.yaml")).GetValueOrThrow();
}
