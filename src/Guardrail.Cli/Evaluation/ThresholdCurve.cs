namespace Guardrail.Cli.Evaluation;

/// <summary>The counts at one threshold: items whose P(unsafe) is at or above it are flagged, as the policy decides.</summary>
/// <param name="Threshold">The lowest flagged score; null for the first point, above every score (nothing flagged).</param>
/// <param name="Counts">The confusion counts at that threshold.</param>
internal sealed record CurvePoint(double? Threshold, ConfusionCounts Counts);

/// <summary>A threshold chosen from a curve, and the value to write in a policy file.</summary>
/// <param name="PolicyThreshold">A threshold in (0, 1), as a policy accepts, that flags exactly the same items: the
/// shortest decimal above the next lower score and at most the lowest flagged one.</param>
/// <param name="Point">The curve point chosen.</param>
internal sealed record ThresholdChoice(double PolicyThreshold, CurvePoint Point);

/// <summary>
/// The ROC and precision/recall curves over the threshold on P(unsafe): one point per distinct score, so items with
/// equal scores (ties) enter together, as they do in a policy, where one threshold flags all or none of them.
/// </summary>
internal sealed class ThresholdCurve
{
    private readonly double[] _scores;

    private ThresholdCurve(IReadOnlyList<CurvePoint> points, double[] distinctScores)
    {
        Points = points;
        _scores = distinctScores;
    }

    /// <summary>The first point flags nothing; each next one lowers the threshold to the next distinct score.</summary>
    public IReadOnlyList<CurvePoint> Points { get; }

    /// <summary>Area under the ROC curve (false-positive rate, recall), by trapezoids; null without both classes.</summary>
    public double? RocArea
    {
        get
        {
            var last = Points[^1].Counts;
            if (last.Positives == 0 || last.Total - last.Positives == 0)
            {
                return null;
            }

            var area = 0.0;
            for (var i = 1; i < Points.Count; i++)
            {
                var (x0, y0) = (Points[i - 1].Counts.FalsePositiveRate!.Value, Points[i - 1].Counts.Recall!.Value);
                var (x1, y1) = (Points[i].Counts.FalsePositiveRate!.Value, Points[i].Counts.Recall!.Value);
                area += (x1 - x0) * (y0 + y1) / 2;
            }

            return area;
        }
    }

    /// <summary>
    /// Average precision, the area under the precision/recall curve as a step function: the sum over points of the
    /// recall gained times the precision there. Null without unsafe items.
    /// </summary>
    public double? AveragePrecision
    {
        get
        {
            if (Points[^1].Counts.Positives == 0)
            {
                return null;
            }

            var area = 0.0;
            for (var i = 1; i < Points.Count; i++)
            {
                area += (Points[i].Counts.Recall!.Value - Points[i - 1].Counts.Recall!.Value) * Points[i].Counts.Precision!.Value;
            }

            return area;
        }
    }

    /// <summary>The curve of <paramref name="items"/>: each item's P(unsafe) and whether it truly is unsafe.</summary>
    public static ThresholdCurve Build(IEnumerable<(double Score, bool Unsafe)> items)
    {
        var sorted = items.OrderByDescending(i => i.Score).ToList();
        var negatives = sorted.Count(i => !i.Unsafe);
        var counts = new ConfusionCounts(0, 0, sorted.Count - negatives, negatives);
        var points = new List<CurvePoint> { new(null, counts) };
        var scores = new List<double>();
        for (var i = 0; i < sorted.Count;)
        {
            var score = sorted[i].Score;
            for (; i < sorted.Count && sorted[i].Score == score; i++)
            {
                counts = sorted[i].Unsafe
                    ? counts with { TruePositives = counts.TruePositives + 1, FalseNegatives = counts.FalseNegatives - 1 }
                    : counts with { FalsePositives = counts.FalsePositives + 1, TrueNegatives = counts.TrueNegatives - 1 };
            }

            points.Add(new CurvePoint(score, counts));
            scores.Add(score);
        }

        return new ThresholdCurve(points, [.. scores]);
    }

    /// <summary>The threshold with the highest F1; on a tie, the higher threshold (fewer flags for the same F1).</summary>
    public ThresholdChoice? MaximiseF1()
    {
        var best = -1;
        for (var i = 1; i < Points.Count; i++)
        {
            if (Points[i].Counts.F1 is { } f1 && (best < 0 || f1 > Points[best].Counts.F1!.Value))
            {
                best = i;
            }
        }

        return best < 0 ? null : Choose(best);
    }

    /// <summary>
    /// The threshold with the highest recall whose false-positive rate is at most <paramref name="target"/>; on a
    /// tie, the higher threshold. Null when even the highest score is a false positive beyond the target.
    /// </summary>
    public ThresholdChoice? ForTargetFalsePositiveRate(double target)
    {
        var best = -1;
        for (var i = 1; i < Points.Count; i++)
        {
            var counts = Points[i].Counts;
            if ((counts.FalsePositiveRate ?? 0) <= target && (best < 0 || (counts.Recall ?? 0) > (Points[best].Counts.Recall ?? 0)))
            {
                best = i;
            }
        }

        return best < 0 ? null : Choose(best);
    }

    private ThresholdChoice Choose(int index)
    {
        var upper = _scores[index - 1];
        var lower = index < _scores.Length ? _scores[index] : 0.0;
        return new ThresholdChoice(PolicyValueBetween(lower, upper), Points[index]);
    }

    /// <summary>The shortest decimal r with <paramref name="lower"/> &lt; r ≤ <paramref name="upper"/> and r &lt; 1.</summary>
    internal static double PolicyValueBetween(double lower, double upper)
    {
        var middle = lower + ((upper - lower) / 2);
        for (var digits = 1; digits <= 15; digits++)
        {
            var rounded = Math.Round(middle, digits, MidpointRounding.AwayFromZero);
            if (rounded > lower && rounded <= upper && rounded < 1)
            {
                return rounded;
            }
        }

        return middle < 1 ? middle : Math.BitDecrement(1.0);
    }
}
