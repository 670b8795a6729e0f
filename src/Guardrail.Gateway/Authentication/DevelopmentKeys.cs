namespace Guardrail.Gateway.Authentication;

/// <summary>
/// The development keys this start generated or reused (null where none is in use), kept so that start-up can tell
/// the person at the terminal which keys to use. Configured keys are never held in clear text.
/// </summary>
internal sealed record DevelopmentKeys(string? Client, string? Admin);
