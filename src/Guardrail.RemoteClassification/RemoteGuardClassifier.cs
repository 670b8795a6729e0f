using System.Text.Json;
using Guardrail.Classification;
using Polly.CircuitBreaker;

namespace Guardrail.RemoteClassification;

/// <summary>
/// Llama Guard on a pool of remote OpenAI-compatible servers, behind the same seam as the in-process engine. The
/// prompt is built and tokenized here exactly as the engine builds it and sent as token ids, so no server-side
/// tokenization can turn content into control tokens; P(<c>unsafe</c>) is read from the first token's top logprobs
/// (the same full softmax the engine reads) and the categories from the generated text.
/// </summary>
/// <remarks>
/// Each check goes to the available endpoint (last health probe passed, breaker not open) with the fewest checks in
/// flight per unit of weight; a failed attempt is retried once on another available endpoint (a check is
/// idempotent). When none can answer, the verdict is an error, which the policy's <c>on_error</c> decides.
/// </remarks>
public sealed class RemoteGuardClassifier : IGuardClassifier, IAsyncDisposable
{
    /// <summary>Top logprobs asked for: vLLM's default maximum and <c>guardrail serve</c>'s.</summary>
    internal const int TopLogprobs = 20;

    /// <summary>Tokens of the answer: <c>unsafe</c>, a line of codes and end of turn fit with room (Meta uses 10 to 20).</summary>
    internal const int MaxOutputTokens = 20;

    private readonly RemoteClassifierOptions _options;
    private readonly LlamaGuardPromptTokenizer _promptTokenizer;
    private readonly RemoteEndpoint[] _endpoints;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly int _tokenBudget;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _health;
    private int _next;
    private int _disposed;

    /// <summary>Creates the pool; call <see cref="Start"/> to begin health checks.</summary>
    /// <param name="options">Validated options (<see cref="RemoteClassifierOptions.Validate"/>).</param>
    /// <param name="tokenizer">Llama Guard 3's tokenizer (a vocabulary-only load of a GGUF file).</param>
    /// <param name="contextSize">Tokens one check may use, prompt plus answer; longer conversations are truncated as in process.</param>
    /// <param name="handler">The HTTP handler; null for a pooled <see cref="SocketsHttpHandler"/>.</param>
    /// <param name="time">The clock of timeouts, breakers and health checks.</param>
    public RemoteGuardClassifier(RemoteClassifierOptions options, ILlamaTokenizer tokenizer, int contextSize, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var errors = options.Validate("Remote");
        if (!options.IsEnabled || errors.Count > 0)
        {
            throw new ArgumentException("Invalid remote classifier options: " + (options.IsEnabled ? string.Join(" ", errors) : "no endpoints."), nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(contextSize, MaxOutputTokens * 2);
        _options = options;
        _time = time ?? TimeProvider.System;
        _tokenBudget = contextSize - MaxOutputTokens;
        _promptTokenizer = new LlamaGuardPromptTokenizer(tokenizer);
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
        {
            // Each attempt has its own timeout (the endpoint's pipeline); the client must not add a second one.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _endpoints = [.. options.Endpoints.Select(endpoint => new RemoteEndpoint(endpoint, options, _http, _time, (e, state) => BreakerChanged?.Invoke(e.Name, state)))];
    }

    /// <summary>The endpoints' names (their base URLs), in configuration order: the closed set of metric labels.</summary>
    public IReadOnlyList<string> EndpointNames => [.. _endpoints.Select(static e => e.Name)];

    /// <summary>Each endpoint's state now.</summary>
    public IReadOnlyList<RemoteEndpointStatus> Status =>
        [.. _endpoints.Select(static e => new RemoteEndpointStatus(e.Name, e.Healthy, e.BreakerState, e.Outstanding, e.Requests, e.Errors))];

    /// <summary>Called after each attempt: the endpoint, how long it took, whether it answered. Must be quick (a metric).</summary>
    public Action<string, TimeSpan, bool>? AttemptObserver { get; set; }

    /// <summary>
    /// Called after each answered check: the endpoint, the check's whole time here (prompt built and tokenized, sent,
    /// answer read; a retry included), and the server's own time for the answer when it said (<c>Server-Timing</c>).
    /// The difference is what the pool adds over the server. Must be quick.
    /// </summary>
    public Action<string, TimeSpan, TimeSpan?>? CheckObserver { get; set; }

    /// <summary>Called when an endpoint's breaker opens, half-opens or closes.</summary>
    public Action<string, CircuitState>? BreakerChanged { get; set; }

    /// <summary>Called when an endpoint's health probe changes its answer (true: healthy again).</summary>
    public Action<string, bool>? HealthChanged { get; set; }

    /// <summary>Called after each round of health probes (readiness reads <see cref="Status"/> then).</summary>
    public Action? Probed { get; set; }

    /// <summary>Probes every endpoint once now, then every <see cref="RemoteClassifierOptions.HealthCheckInterval"/>.</summary>
    public void Start() => _health ??= RunHealthChecksAsync(_stopping.Token);

    /// <summary>Probes every endpoint once, now (what the periodic health check does each interval).</summary>
    public async Task ProbeAllAsync(CancellationToken cancellationToken)
    {
        var changes = await Task.WhenAll(_endpoints.Select(e => e.ProbeAsync(cancellationToken))).ConfigureAwait(false);
        for (var i = 0; i < _endpoints.Length; i++)
        {
            if (changes[i])
            {
                HealthChanged?.Invoke(_endpoints[i].Name, _endpoints[i].Healthy);
            }
        }

        Probed?.Invoke();
    }

    /// <inheritdoc />
    public async ValueTask<GuardVerdict> ClassifyAsync(GuardRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = _time.GetTimestamp();
        var (prompt, error) = _promptTokenizer.Prepare(request, _tokenBudget);
        if (prompt is null)
        {
            return GuardVerdict.Failed(error!, _options.Model, _time.GetElapsedTime(started));
        }

        var body = RequestBody(prompt);
        RemoteEndpoint? tried = null;
        var failures = new List<string>(2);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var endpoint = Choose(tried);
            if (endpoint is null)
            {
                break;
            }

            tried = endpoint;
            try
            {
                var answer = await endpoint.SendAsync(body, (e, latency, ok) => AttemptObserver?.Invoke(e.Name, latency, ok), cancellationToken).ConfigureAwait(false);
                var verdict = GuardVerdict.FromOutput(answer.Text, answer.UnsafeProbability, prompt, answer.Model ?? _options.Model, _time.GetElapsedTime(started)) with { Endpoint = endpoint.Name };
                CheckObserver?.Invoke(endpoint.Name, _time.GetElapsedTime(started), answer.ServerTime);
                return verdict;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{endpoint.Name}: {Describe(e)}");
            }
        }

        var reason = failures.Count == 0
            ? "No remote classifier endpoint is available (every one failed its health check or has its breaker open)."
            : "No remote classifier endpoint answered: " + string.Join("; ", failures) + ".";
        return GuardVerdict.Failed(reason, _options.Model, _time.GetElapsedTime(started));
    }

    /// <summary>Stops the health checks; checks in flight finish or fail on their own.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_health is not null)
        {
            try
            {
                await _health.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _http.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// The available endpoint other than <paramref name="exclude"/> with the fewest checks in flight per unit of weight;
    /// ties go round robin so that an idle pool spreads its checks.
    /// </summary>
    internal RemoteEndpoint? Choose(RemoteEndpoint? exclude)
    {
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)_endpoints.Length);
        RemoteEndpoint? best = null;
        for (var i = 0; i < _endpoints.Length; i++)
        {
            var candidate = _endpoints[(start + i) % _endpoints.Length];
            if (candidate == exclude || !candidate.IsAvailable)
            {
                continue;
            }

            // (outstanding + 1) / weight, compared without division.
            if (best is null || ((long)(candidate.Outstanding + 1) * best.Weight) < ((long)(best.Outstanding + 1) * candidate.Weight))
            {
                best = candidate;
            }
        }

        return best;
    }

    private byte[] RequestBody(TokenizedPrompt prompt)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (_options.Model is { } model)
            {
                writer.WriteString("model", model);
            }

            writer.WriteStartArray("prompt");
            foreach (var token in prompt.Tokens)
            {
                writer.WriteNumberValue(token);
            }

            writer.WriteEndArray();
            writer.WriteNumber("max_tokens", MaxOutputTokens);
            writer.WriteNumber("temperature", 0);
            writer.WriteNumber("logprobs", TopLogprobs);
            writer.WriteBoolean("stream", false);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // Messages from our own code and the HTTP stack; never the request, so never the key.
    private static string Describe(Exception e) => e switch
    {
        BrokenCircuitException => "its breaker is open",
        Polly.Timeout.TimeoutRejectedException => "no answer within the attempt timeout",
        RemoteAnswerException => e.Message,
        HttpRequestException http => http.HttpRequestError switch
        {
            HttpRequestError.ConnectionError => "the connection was refused or lost",
            HttpRequestError.NameResolutionError => "the host name does not resolve",
            HttpRequestError.SecureConnectionError => "the TLS handshake failed",
            _ => "the request failed (" + http.HttpRequestError + ")",
        },
        _ => "the request failed (" + e.GetType().Name + ")",
    };

    private async Task RunHealthChecksAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await ProbeAllAsync(cancellationToken).ConfigureAwait(false);
            await Task.Delay(_options.HealthCheckInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>One endpoint's state, for readiness and metrics.</summary>
/// <param name="Name">Its base URL.</param>
/// <param name="Healthy">Whether its last health probe passed.</param>
/// <param name="Breaker">Its breaker: closed (checks pass), open (skipped), half-open (one trial check).</param>
/// <param name="Outstanding">Checks in flight.</param>
/// <param name="Requests">Attempts sent since start.</param>
/// <param name="Errors">Attempts that failed since start.</param>
public sealed record RemoteEndpointStatus(string Name, bool Healthy, CircuitState Breaker, int Outstanding, long Requests, long Errors);
