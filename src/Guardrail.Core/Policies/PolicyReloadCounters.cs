namespace Guardrail.Policies;

/// <summary>Reload counts since the store started.</summary>
/// <param name="Swapped">Reloads that installed a new snapshot.</param>
/// <param name="Unchanged">Reloads that found nothing new.</param>
/// <param name="Rejected">Reloads that found invalid files and kept the last good snapshot.</param>
public sealed record PolicyReloadCounters(long Swapped, long Unchanged, long Rejected);
