namespace Guardrail.Cli.Models;

/// <summary>
/// What the model commands take from the outside world: environment variables, the HTTP handler, the clock and the
/// catalogue. The defaults are the real ones; tests hand in their own, so no test changes a process-wide variable.
/// </summary>
internal sealed record ModelCommandEnvironment
{
    public const string TokenVariable = "HF_TOKEN";

    /// <summary>Reads an environment variable (<c>HF_ENDPOINT</c>, <c>HF_TOKEN</c>, <c>GUARDRAIL_MODELS_DIR</c>).</summary>
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Creates the HTTP handler of one command run.</summary>
    public Func<ModelDownloadOptions, HttpMessageHandler> CreateHandler { get; init; } = ModelDownloader.CreateDefaultHandler;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ModelCatalog Catalog { get; init; } = ModelCatalog.Embedded;

    public ModelDownloadOptions DownloadOptions { get; init; } = ModelDownloadOptions.Default;

    /// <summary>Whether progress goes to a terminal; null decides from the writer (a redirected stderr is not one).</summary>
    public bool? ProgressIsTerminal { get; init; }

    public static ModelCommandEnvironment Default { get; } = new();

    /// <summary>The Hugging Face endpoint: <c>HF_ENDPOINT</c>, else huggingface.co.</summary>
    /// <exception cref="ModelUsageException"><c>HF_ENDPOINT</c> is not an https (or loopback http) URL.</exception>
    public Uri HuggingFaceEndpoint()
    {
        var configured = GetVariable(HuggingFaceReference.EndpointVariable);
        if (string.IsNullOrWhiteSpace(configured))
        {
            return HuggingFaceReference.DefaultEndpoint;
        }

        if (!Uri.TryCreate(configured.Trim().TrimEnd('/') + "/", UriKind.Absolute, out var endpoint)
            || !TransportPolicy.IsAllowed(endpoint)
            || !string.IsNullOrEmpty(endpoint.Query)
            || !string.IsNullOrEmpty(endpoint.UserInfo))
        {
            throw new ModelUsageException($"{HuggingFaceReference.EndpointVariable}='{configured}' must be an https URL (http is accepted for loopback addresses), without a query or credentials.");
        }

        return endpoint;
    }
}
