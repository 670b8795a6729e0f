using System.Runtime.InteropServices;

namespace Guardrail.Cli.Evaluation;

/// <summary>
/// The four counts of a yes/no question asked of every item (is it unsafe; does it violate S1), and the measures
/// made of them. A measure whose denominator is zero is undefined (null), never 0 or 1: an empty category has no
/// precision, and saying 0 would read as a failure, 1 as a success.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct ConfusionCounts(int TruePositives, int FalsePositives, int FalseNegatives, int TrueNegatives)
{
    public int Total => TruePositives + FalsePositives + FalseNegatives + TrueNegatives;

    /// <summary>Items that truly are positive.</summary>
    public int Positives => TruePositives + FalseNegatives;

    /// <summary>TP / (TP + FP): of what was flagged, how much was right.</summary>
    public double? Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    /// <summary>TP / (TP + FN): of what was there to flag, how much was flagged.</summary>
    public double? Recall => Ratio(TruePositives, TruePositives + FalseNegatives);

    /// <summary>2TP / (2TP + FP + FN), the harmonic mean of precision and recall (defined even when one of them is not).</summary>
    public double? F1 => Ratio(2 * TruePositives, (2 * TruePositives) + FalsePositives + FalseNegatives);

    /// <summary>FP / (FP + TN): of what was fine, how much was flagged.</summary>
    public double? FalsePositiveRate => Ratio(FalsePositives, FalsePositives + TrueNegatives);

    /// <summary>Adds one item's answer.</summary>
    public ConfusionCounts Add(bool actual, bool predicted) => (actual, predicted) switch
    {
        (true, true) => this with { TruePositives = TruePositives + 1 },
        (false, true) => this with { FalsePositives = FalsePositives + 1 },
        (true, false) => this with { FalseNegatives = FalseNegatives + 1 },
        _ => this with { TrueNegatives = TrueNegatives + 1 },
    };

    private static double? Ratio(int numerator, int denominator) => denominator == 0 ? null : (double)numerator / denominator;
}
