using Guardrail.Classification;
using Xunit;

namespace Guardrail.Testing;

/// <summary>Asserts on a verdict's outcome and, when it is not the expected one, says why (the verdict's error and output).</summary>
public static class VerdictAssert
{
    /// <summary>Generous for a loaded 2-core machine: a check's deadline in tests, never a measurement.</summary>
    public static readonly TimeSpan CheckDeadline = TimeSpan.FromMinutes(10);

    public static void Outcome(GuardOutcome expected, GuardVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        Assert.True(
            expected == verdict.Outcome,
            $"expected {expected}, got {verdict.Outcome}; error: {verdict.Error ?? "none"}; output: '{verdict.RawOutput}'; latency {verdict.Latency}");
    }
}
