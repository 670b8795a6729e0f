namespace Guardrail.Caching;

/// <summary>
/// What the moderation pipeline needs to use a verdict cache: the cache, and the identity of the classifier whose
/// verdicts it holds (a verdict of one model must never answer for another).
/// </summary>
/// <param name="Cache">The cache; failures are treated as misses.</param>
/// <param name="ClassifierModel">The model identity hashed into every key, such as the model file name and size and the context size.</param>
public sealed record VerdictCaching(IVerdictCache Cache, string ClassifierModel);
