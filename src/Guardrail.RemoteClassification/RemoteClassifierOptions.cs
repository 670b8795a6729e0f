using System.Globalization;

namespace Guardrail.RemoteClassification;

/// <summary>
/// A pool of remote Llama Guard servers (<c>Guardrail:Classifier:Remote</c>): any OpenAI-compatible
/// <c>/v1/completions</c> server that takes token ids as <c>prompt</c> and returns logprobs (llama.cpp's server, vLLM,
/// <c>guardrail serve</c>).
/// </summary>
public sealed class RemoteClassifierOptions
{
    /// <summary>The servers; none (default) means classification stays in process.</summary>
    public IList<RemoteEndpointOptions> Endpoints { get; init; } = [];

    /// <summary>
    /// A GGUF file with Llama Guard 3's tokenizer (the model file itself, or llama.cpp's
    /// <c>ggml-vocab-llama-bpe.gguf</c>): only its vocabulary is loaded, to build the prompt's token ids here.
    /// </summary>
    public string? TokenizerPath { get; init; }

    /// <summary>The <c>model</c> sent with every check (vLLM needs the served name); null (default) sends none.</summary>
    public string? Model { get; init; }

    /// <summary>The longest one attempt on one endpoint may take before it counts as failed. Default 10 s; 10 ms to 10 min.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often each endpoint is probed (<c>GET /v1/models</c>). Default 5 s; 100 ms to 1 h.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an endpoint's breaker stays open before one trial check. Default 30 s; 1 s to 1 h.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The failed share of an endpoint's checks over <see cref="SamplingDuration"/> that opens its breaker. Default 0.5; above 0 to 1.</summary>
    public double FailureRatio { get; init; } = 0.5;

    /// <summary>Checks an endpoint must have had in the sampling window before its breaker may open. Default 4; 2 to 10000.</summary>
    public int MinimumThroughput { get; init; } = 4;

    /// <summary>The window over which <see cref="FailureRatio"/> is measured. Default 30 s; 500 ms to 1 h.</summary>
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>True when endpoints are configured (the remote classifier is used instead of a local model).</summary>
    public bool IsEnabled => Endpoints.Count > 0;

    /// <summary>Every problem, each prefixed with <paramref name="section"/> and naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section)
    {
        var errors = new List<string>();
        if (IsEnabled && string.IsNullOrWhiteSpace(TokenizerPath))
        {
            errors.Add($"{section}:TokenizerPath is not set: name a GGUF file with the Llama Guard 3 tokenizer (the model file, or llama.cpp's ggml-vocab-llama-bpe.gguf); prompts are tokenized here and sent as token ids.");
        }

        var urls = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Endpoints.Count; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{section}:Endpoints:{i}");
            var endpoint = Endpoints[i];
            if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add($"{key}:Url '{endpoint.Url}' is not an absolute http or https URL: give the server's base URL, for example http://guard-0:8080.");
            }
            else if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                errors.Add($"{key}:Url must not carry credentials, a query or a fragment: put the key in {key}:ApiKey.");
            }
            else if (!urls.Add(endpoint.Name))
            {
                errors.Add($"{key}:Url '{endpoint.Url}' names the same server as an earlier endpoint.");
            }

            if (endpoint.ApiKey is { } apiKey && (apiKey.Length == 0 || apiKey.Any(char.IsControl) || apiKey.Trim().Length != apiKey.Length))
            {
                errors.Add($"{key}:ApiKey is empty, has control characters or surrounding spaces: remove it or give the server's key.");
            }

            if (endpoint.Weight is < 1 or > 100)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key}:Weight must be 1 to 100, was {endpoint.Weight}."));
            }
        }

        Duration($"{section}:AttemptTimeout", AttemptTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10), errors);
        Duration($"{section}:HealthCheckInterval", HealthCheckInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1), errors);
        Duration($"{section}:BreakDuration", BreakDuration, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), errors);
        Duration($"{section}:SamplingDuration", SamplingDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1), errors);
        if (!(FailureRatio > 0 && FailureRatio <= 1))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section}:FailureRatio must be above 0 and at most 1, was {FailureRatio}."));
        }

        if (MinimumThroughput is < 2 or > 10_000)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section}:MinimumThroughput must be 2 to 10000, was {MinimumThroughput}."));
        }

        return errors;
    }

    private static void Duration(string key, TimeSpan value, TimeSpan min, TimeSpan max, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be {min:c} to {max:c}, was {value:c}."));
        }
    }
}
