namespace Guardrail.Gateway.Configuration;

/// <summary>
/// Start-up failed because the configuration is invalid. <see cref="Errors"/> holds every problem found, each
/// naming the configuration key and the fix.
/// </summary>
public sealed class GatewayConfigurationException : Exception
{
    public GatewayConfigurationException(IReadOnlyList<string> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Every configuration error found, in the order they were found.</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string Format(IReadOnlyList<string> errors) =>
        $"Guardrail cannot start: {errors.Count} configuration error(s).{Environment.NewLine}"
        + string.Join(Environment.NewLine, errors.Select(e => "  - " + e));
}
