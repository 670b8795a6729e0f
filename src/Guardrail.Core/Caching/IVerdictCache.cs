using Guardrail.Classification;

namespace Guardrail.Caching;

/// <summary>
/// Step 4's verdict cache: classifier verdicts keyed by everything the verdict depends on, so that a conversation
/// already classified (by this replica or another) is not classified again.
/// </summary>
/// <remarks>
/// Implementations hold only <see cref="GuardOutcome.Safe"/> and <see cref="GuardOutcome.Unsafe"/> verdicts and
/// choose their own time to live. A cache is an optimisation: callers treat any failure as a miss.
/// </remarks>
public interface IVerdictCache
{
    /// <summary>The cached verdict for <paramref name="key"/>, or null when there is none (or it expired).</summary>
    ValueTask<GuardVerdict?> GetAsync(VerdictCacheKey key, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="verdict"/> under <paramref name="key"/>; error verdicts are ignored.</summary>
    ValueTask SetAsync(VerdictCacheKey key, GuardVerdict verdict, CancellationToken cancellationToken);
}
