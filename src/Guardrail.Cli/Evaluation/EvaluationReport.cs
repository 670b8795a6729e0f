using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Guardrail.Cli.Evaluation;

/// <summary>
/// Everything one <c>guardrail eval</c> run measured: written as <c>eval.json</c> (the numbers a CI job gates on),
/// rendered as <c>report.md</c>, and read back by <c>guardrail eval --compare</c>. Field names are snake_case.
/// </summary>
internal sealed record EvaluationReport
{
    /// <summary>The format's name and version; a reader refuses another.</summary>
    public const string CurrentSchema = "guardrail-eval/1";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        AllowDuplicateProperties = false,
    };

    public string Schema { get; init; } = CurrentSchema;

    public required EvaluationRun Run { get; init; }

    /// <summary>Unsafe or not, at the policy's threshold, over every item (error verdicts count as the policy's
    /// <c>on_error</c> decides).</summary>
    public required Measures Overall { get; init; }

    /// <summary>Items whose verdict was an error (the model said something that is not a verdict): without a score, they are outside the curves.</summary>
    public required int Errors { get; init; }

    /// <summary>One entry per category the policy sends to the model, and per other code the set or the model named.</summary>
    public required IReadOnlyList<CategoryMeasures> Categories { get; init; }

    public required CategoryConfusion Confusion { get; init; }

    public required Curve Roc { get; init; }

    public required Curve PrecisionRecall { get; init; }

    /// <summary>The threshold recommended by <see cref="ThresholdRecommendation.Rule"/>; null when none qualifies.</summary>
    public required ThresholdRecommendation? Recommendation { get; init; }

    public required IReadOnlyList<EvaluatedItem> Items { get; init; }

    /// <summary>The items that were not answered as expected (verdict or categories).</summary>
    [JsonIgnore]
    public IEnumerable<EvaluatedItem> Mistakes => Items.Where(i => !i.Correct || !i.CategoriesCorrect);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a report written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">Not a report of this format.</exception>
    public static EvaluationReport FromJson(string json, string file)
    {
        try
        {
            var report = JsonSerializer.Deserialize<EvaluationReport>(json, JsonOptions);
            return report is { Schema: CurrentSchema }
                ? report
                : throw new InvalidDataException($"{file}: not a guardrail eval report (schema '{report?.Schema}', expected '{CurrentSchema}').");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not a guardrail eval report: {e.Message}", e);
        }
    }
}

/// <summary>What was run: model, policy and set.</summary>
internal sealed record EvaluationRun
{
    public required string Model { get; init; }

    public required string Variant { get; init; }

    public required string PolicyId { get; init; }

    public required string PolicyVersion { get; init; }

    public required double Threshold { get; init; }

    public required IReadOnlyList<string> CategoriesSent { get; init; }

    public required string SetFile { get; init; }

    public required string SetSha256 { get; init; }

    /// <summary><c>prompt</c>, <c>response</c>, or <c>all</c>.</summary>
    public required string Direction { get; init; }

    public required DateTimeOffset Time { get; init; }

    public required double Seconds { get; init; }

    public required double ItemsPerSecond { get; init; }

    /// <summary>Of <see cref="Seconds"/>, the time llama.cpp spent decoding (prompt and generated tokens): the rest is
    /// what the engine and the evaluation add.</summary>
    public required double DecodeSeconds { get; init; }
}

/// <summary>Confusion counts and the measures made of them; a measure with a zero denominator is null.</summary>
internal sealed record Measures
{
    public required int TruePositives { get; init; }

    public required int FalsePositives { get; init; }

    public required int FalseNegatives { get; init; }

    public required int TrueNegatives { get; init; }

    public required double? Precision { get; init; }

    public required double? Recall { get; init; }

    public required double? F1 { get; init; }

    public required double? FalsePositiveRate { get; init; }

    public static Measures From(ConfusionCounts counts) => new()
    {
        TruePositives = counts.TruePositives,
        FalsePositives = counts.FalsePositives,
        FalseNegatives = counts.FalseNegatives,
        TrueNegatives = counts.TrueNegatives,
        Precision = counts.Precision,
        Recall = counts.Recall,
        F1 = counts.F1,
        FalsePositiveRate = counts.FalsePositiveRate,
    };
}

/// <summary>One category's measures: positives are items expected to violate it, flags are items the model flagged with it.</summary>
internal sealed record CategoryMeasures
{
    public required string Code { get; init; }

    public required string Name { get; init; }

    /// <summary>Whether the policy sends this category to the model.</summary>
    public required bool Sent { get; init; }

    public required Measures Measures { get; init; }
}

/// <summary>
/// Rows: the expected categories, columns: the categories the model named; <c>safe</c> for none, <c>unsafe</c>
/// for unsafe without a code. An item adds one to each pair of an expected and a named label.
/// </summary>
internal sealed record CategoryConfusion
{
    public required IReadOnlyList<string> Labels { get; init; }

    public required IReadOnlyList<IReadOnlyList<int>> Counts { get; init; }
}

/// <summary>A curve's area and its points (threshold null: above every score).</summary>
internal sealed record Curve
{
    public required double? Area { get; init; }

    public required IReadOnlyList<CurvePointMeasures> Points { get; init; }
}

internal sealed record CurvePointMeasures
{
    public required double? Threshold { get; init; }

    public required double? Precision { get; init; }

    public required double? Recall { get; init; }

    public required double? FalsePositiveRate { get; init; }
}

internal sealed record ThresholdRecommendation
{
    /// <summary><c>max_f1</c>, or <c>target_fpr</c> with <see cref="TargetFalsePositiveRate"/>.</summary>
    public required string Rule { get; init; }

    public required double? TargetFalsePositiveRate { get; init; }

    /// <summary>The value for the policy file's <c>threshold:</c>.</summary>
    public required double Threshold { get; init; }

    public required Measures Measures { get; init; }
}

/// <summary>One item's expected and actual answer.</summary>
internal sealed record EvaluatedItem
{
    public required string Id { get; init; }

    public required int Line { get; init; }

    public required string Direction { get; init; }

    public required bool ExpectedUnsafe { get; init; }

    public required IReadOnlyList<string> ExpectedCategories { get; init; }

    /// <summary>The model's verdict: <c>safe</c>, <c>unsafe</c> or <c>error</c>.</summary>
    public required string Verdict { get; init; }

    public required double? Score { get; init; }

    /// <summary>The categories the model named.</summary>
    public required IReadOnlyList<string> Categories { get; init; }

    /// <summary>The policy's action: <c>allow</c>, <c>flag</c> or <c>block</c>.</summary>
    public required string Action { get; init; }

    public required string? Error { get; init; }

    /// <summary>Flagged or blocked: what the policy treated as unsafe.</summary>
    public required bool PredictedUnsafe { get; init; }

    /// <summary>The verdict is the expected one.</summary>
    public bool Correct => PredictedUnsafe == ExpectedUnsafe;

    /// <summary>For an item expected and found unsafe: the model named exactly the expected categories (true when
    /// the reviewer named none). True for every other item.</summary>
    public bool CategoriesCorrect => !(ExpectedUnsafe && PredictedUnsafe && ExpectedCategories.Count > 0)
        || ExpectedCategories.ToHashSet(StringComparer.Ordinal).SetEquals(Categories);

    /// <summary>The categories the policy counted as flagged: the model's when the item was flagged, none otherwise.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> PredictedCategories => PredictedUnsafe ? Categories : [];
}
