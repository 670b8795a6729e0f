using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Policies;

namespace Guardrail.Cli.Evaluation;

/// <summary>
/// Classifies every item the way the gateway does: the policy's categories that the model was trained on
/// (<see cref="Policy.PromptCategoriesFor"/>), then <see cref="PolicyDecider"/> for the action. Items go to the
/// classifier <c>concurrency</c> at a time, so that its worker decodes them together in batches.
/// </summary>
internal sealed class EvaluationRunner
{
    private readonly IGuardClassifier _classifier;
    private readonly Policy _policy;

    public EvaluationRunner(IGuardClassifier classifier, Policy policy)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(policy);
        _classifier = classifier;
        _policy = policy;
        Categories = policy.PromptCategoriesFor(classifier.Variant);
    }

    /// <summary>What every prompt lists: the policy's categories that the model knows.</summary>
    public IReadOnlyList<Taxonomy.HazardCategory> Categories { get; }

    /// <summary>Answers every item, in the set's order.</summary>
    /// <param name="items">The set.</param>
    /// <param name="concurrency">Checks in flight at once (at least the classifier's batch size, to fill its batches).</param>
    /// <param name="progress">Told the number of items done after each one.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public async Task<IReadOnlyList<EvaluatedItem>> RunAsync(IReadOnlyList<EvaluationItem> items, int concurrency, Action<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        if (Categories.Count == 0)
        {
            throw new InvalidOperationException(
                $"Policy '{_policy.Id}' enables no category that {_classifier.Variant.Id} was trained on; there is nothing to evaluate.");
        }

        var results = new EvaluatedItem[items.Count];
        var next = -1;
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, items.Count)).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < items.Count)
            {
                results[index] = await EvaluateAsync(items[index], cancellationToken).ConfigureAwait(false);
                progress?.Invoke(Interlocked.Increment(ref done));
            }
        })).ConfigureAwait(false);
        return results;
    }

    private async Task<EvaluatedItem> EvaluateAsync(EvaluationItem item, CancellationToken cancellationToken)
    {
        var verdict = await _classifier.ClassifyAsync(
            new GuardRequest { Conversation = item.Conversation, Direction = item.Direction, Categories = Categories, RequestId = item.Id },
            cancellationToken).ConfigureAwait(false);
        var decision = PolicyDecider.Decide(verdict, _policy, item.Direction);
        return new EvaluatedItem
        {
            Id = item.Id,
            Line = item.Line,
            Direction = item.Direction.ToWire(),
            ExpectedUnsafe = item.ExpectedUnsafe,
            ExpectedCategories = item.ExpectedCategories,
            Verdict = verdict.Outcome.ToWire(),
            Score = verdict.Outcome == GuardOutcome.Error ? null : verdict.UnsafeProbability,
            Categories = verdict.Categories,
            Action = decision.Action.ToWire(),
            Error = verdict.Error,
            PredictedUnsafe = decision.Action != ModerationAction.Allow,
        };
    }
}
