using System.Net.Http.Headers;
using Polly;
using Polly.CircuitBreaker;

namespace Guardrail.RemoteClassification;

/// <summary>
/// One server of the pool: its checks in flight (what balancing compares), its last health probe, and a pipeline of a
/// per-attempt timeout inside a circuit breaker, so that a failing server is skipped until a trial check passes.
/// </summary>
internal sealed class RemoteEndpoint
{
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _breaker = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _attemptTimeout;
    private int _outstanding;
    private long _requests;
    private long _errors;
    private volatile bool _healthy = true;
    private long _trialAt;

    public RemoteEndpoint(RemoteEndpointOptions options, RemoteClassifierOptions pool, HttpClient http, TimeProvider time, Action<RemoteEndpoint, CircuitState> breakerChanged)
    {
        Name = options.Name;
        Weight = options.Weight;
        _http = http;
        _time = time;
        _attemptTimeout = pool.AttemptTimeout;
        CompletionsUri = new Uri(Name + "/v1/completions");
        ModelsUri = new Uri(Name + "/v1/models");
        _authorization = options.ApiKey is { } key ? new AuthenticationHeaderValue("Bearer", key) : null;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = pool.FailureRatio,
                MinimumThroughput = pool.MinimumThroughput,
                SamplingDuration = pool.SamplingDuration,
                BreakDuration = pool.BreakDuration,
                StateProvider = _breaker,
                // Refused connections, timeouts, error statuses and unusable answers; the caller's own cancellation is not the server's failure.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(static e => e is not OperationCanceledException),
                OnOpened = args =>
                {
                    Interlocked.Exchange(ref _trialAt, (_time.GetUtcNow() + args.BreakDuration).UtcTicks);
                    breakerChanged(this, CircuitState.Open);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    breakerChanged(this, CircuitState.HalfOpen);
                    return default;
                },
                OnClosed = _ =>
                {
                    breakerChanged(this, CircuitState.Closed);
                    return default;
                },
            })
            .AddTimeout(pool.AttemptTimeout)
            .Build();
    }

    /// <summary>The base URL as configured, without a trailing slash: the metrics label, the audit record's endpoint, the log's name.</summary>
    public string Name { get; }

    public int Weight { get; }

    public Uri CompletionsUri { get; }

    public Uri ModelsUri { get; }

    public int Outstanding => Volatile.Read(ref _outstanding);

    public long Requests => Interlocked.Read(ref _requests);

    public long Errors => Interlocked.Read(ref _errors);

    public bool Healthy => _healthy;

    public CircuitState BreakerState => _breaker.CircuitState;

    /// <summary>
    /// Whether a check may be sent here now: the last probe passed, and the breaker is closed or its break is over (the
    /// breaker turns half-open only when a check arrives, so an open one is offered again once its time is up).
    /// </summary>
    public bool IsAvailable => _healthy && _breaker.CircuitState switch
    {
        CircuitState.Closed or CircuitState.HalfOpen => true,
        _ => _time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _trialAt),
    };

    /// <summary>The base URL without a trailing slash; credentials, query and fragment are rejected by validation.</summary>
    public static string NameOf(Uri uri) => uri.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>
    /// Sends one check; the answer, or an exception for a failed attempt (a timeout, a refused or broken connection,
    /// an error status, an unusable answer, or the breaker open). <paramref name="completed"/> gets the attempt's time and whether it succeeded.
    /// </summary>
    public async Task<CompletionAnswer> SendAsync(byte[] body, Action<RemoteEndpoint, TimeSpan, bool> completed, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _outstanding);
        Interlocked.Increment(ref _requests);
        var started = _time.GetTimestamp();
        var ok = false;
        try
        {
            var answer = await _pipeline.ExecuteAsync(
                static async (state, token) =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, state.Endpoint.CompletionsUri)
                    {
                        Content = new ByteArrayContent(state.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
                    };
                    request.Headers.Authorization = state.Endpoint._authorization;
                    using var response = await state.Endpoint._http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                    var bytes = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new RemoteAnswerException($"the server answered HTTP {(int)response.StatusCode}");
                    }

                    return CompletionAnswer.Parse(bytes) with
                    {
                        ServerTime = response.Headers.TryGetValues("Server-Timing", out var timing) ? CompletionAnswer.ReadServerTime(timing) : null,
                    };
                },
                (Endpoint: this, Body: body),
                cancellationToken).ConfigureAwait(false);
            ok = true;
            return answer;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _errors);
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
            completed(this, _time.GetElapsedTime(started), ok);
        }
    }

    /// <summary>Probes <c>GET /v1/models</c>; any 2xx within the attempt timeout is healthy. Returns whether the state changed.</summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        bool healthy;
        try
        {
            using var timeout = new CancellationTokenSource(_attemptTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            using var request = new HttpRequestMessage(HttpMethod.Get, ModelsUri);
            request.Headers.Authorization = _authorization;
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            healthy = response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            healthy = false;
        }

        var changed = healthy != _healthy;
        _healthy = healthy;
        return changed;
    }
}
