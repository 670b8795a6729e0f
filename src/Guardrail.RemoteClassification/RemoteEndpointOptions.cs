namespace Guardrail.RemoteClassification;

/// <summary>One server of the pool (<c>Guardrail:Classifier:Remote:Endpoints:N</c>).</summary>
public sealed class RemoteEndpointOptions
{
    /// <summary>
    /// The server's base URL, <c>http</c> or <c>https</c>, without <c>/v1</c> (for example <c>http://guard-0:8080</c>):
    /// checks go to <c>{Url}/v1/completions</c>, health checks to <c>{Url}/v1/models</c>.
    /// </summary>
    public string Url { get; init; } = string.Empty;

    /// <summary>Sent as <c>Authorization: Bearer</c>; null for a server without a key. Never logged or reported.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// The endpoint's name in metrics, logs, <c>/readyz</c> and the audit record: <see cref="Url"/> without a trailing
    /// slash (validation rejects credentials and queries in it, so the name carries no secret).
    /// </summary>
    public string Name => Uri.TryCreate(Url, UriKind.Absolute, out var uri) ? RemoteEndpoint.NameOf(uri) : Url;

    /// <summary>Share of the checks relative to the other endpoints, 1 to 100 (default 1): outstanding checks are compared per unit of weight.</summary>
    public int Weight { get; init; } = 1;
}
