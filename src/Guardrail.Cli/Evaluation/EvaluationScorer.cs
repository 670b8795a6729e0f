using Guardrail.Taxonomy;

namespace Guardrail.Cli.Evaluation;

/// <summary>Turns the answers of one run into every number of its report.</summary>
internal static class EvaluationScorer
{
    /// <summary>Scores <paramref name="items"/>.</summary>
    /// <param name="run">What was run.</param>
    /// <param name="items">Every item's expected and actual answer.</param>
    /// <param name="taxonomy">Names the codes.</param>
    /// <param name="targetFalsePositiveRate">Recommend the threshold that meets this rate; null: the one that maximises F1.</param>
    public static EvaluationReport Score(EvaluationRun run, IReadOnlyList<EvaluatedItem> items, HazardTaxonomy taxonomy, double? targetFalsePositiveRate)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(taxonomy);

        var overall = items.Aggregate(default(ConfusionCounts), (counts, item) => counts.Add(item.ExpectedUnsafe, item.PredictedUnsafe));
        var curve = ThresholdCurve.Build(items.Where(i => i.Score is not null).Select(i => (i.Score!.Value, i.ExpectedUnsafe)));
        var choice = targetFalsePositiveRate is { } target ? curve.ForTargetFalsePositiveRate(target) : curve.MaximiseF1();

        return new EvaluationReport
        {
            Run = run,
            Overall = Measures.From(overall),
            Errors = items.Count(i => string.Equals(i.Verdict, "error", StringComparison.Ordinal)),
            Categories = ScoreCategories(run, items, taxonomy),
            Confusion = Confuse(items),
            Roc = new Curve { Area = curve.RocArea, Points = Points(curve) },
            PrecisionRecall = new Curve { Area = curve.AveragePrecision, Points = Points(curve) },
            Recommendation = choice is null ? null : new ThresholdRecommendation
            {
                Rule = targetFalsePositiveRate is null ? "max_f1" : "target_fpr",
                TargetFalsePositiveRate = targetFalsePositiveRate,
                Threshold = choice.PolicyThreshold,
                Measures = Measures.From(choice.Point.Counts),
            },
            Items = items,
        };
    }

    private static List<CategoryMeasures> ScoreCategories(EvaluationRun run, IReadOnlyList<EvaluatedItem> items, HazardTaxonomy taxonomy)
    {
        var codes = run.CategoriesSent
            .Concat(items.SelectMany(i => i.ExpectedCategories.Concat(i.PredictedCategories)))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(c => HazardCategory.ParseNumber(c) ?? int.MaxValue)
            .ThenBy(c => c, StringComparer.Ordinal);
        return [.. codes.Select(code => new CategoryMeasures
        {
            Code = code,
            Name = taxonomy.Find(code)?.Name ?? "(not in the taxonomy)",
            Sent = run.CategoriesSent.Contains(code, StringComparer.Ordinal),
            Measures = Measures.From(items.Aggregate(default(ConfusionCounts), (counts, item) => counts.Add(
                item.ExpectedCategories.Contains(code, StringComparer.Ordinal),
                item.PredictedCategories.Contains(code, StringComparer.Ordinal)))),
        })];
    }

    private static CategoryConfusion Confuse(IReadOnlyList<EvaluatedItem> items)
    {
        static IReadOnlyList<string> Labels(bool isUnsafe, IReadOnlyList<string> codes) =>
            !isUnsafe ? ["safe"] : codes.Count == 0 ? ["unsafe"] : codes;

        var pairs = items.SelectMany(item =>
            from expected in Labels(item.ExpectedUnsafe, item.ExpectedCategories)
            from predicted in Labels(item.PredictedUnsafe, item.PredictedCategories)
            select (expected, predicted)).ToList();
        var labels = pairs.SelectMany(p => new[] { p.expected, p.predicted })
            .Distinct(StringComparer.Ordinal)
            .OrderBy(l => l switch { "safe" => -1, "unsafe" => int.MaxValue, _ => HazardCategory.ParseNumber(l) ?? int.MaxValue - 1 })
            .ToList();
        var index = labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);
        var counts = labels.Select(_ => new int[labels.Count]).ToArray();
        foreach (var (expected, predicted) in pairs)
        {
            counts[index[expected]][index[predicted]]++;
        }

        return new CategoryConfusion { Labels = labels, Counts = counts };
    }

    private static List<CurvePointMeasures> Points(ThresholdCurve curve) =>
        [.. curve.Points.Select(p => new CurvePointMeasures
        {
            Threshold = p.Threshold,
            Precision = p.Counts.Precision,
            Recall = p.Counts.Recall,
            FalsePositiveRate = p.Counts.FalsePositiveRate,
        })];
}
