using Guardrail.Gateway.Configuration;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// Step 6's resilience, one pipeline per backend cluster: a failed connection is retried (nothing reached the
/// backend, so a retry cannot run a request twice), and a circuit breaker stops sending to a cluster whose
/// connections keep failing, so that clients get a fast 502 instead of waiting on every dead connection. Anything
/// that fails after the request was sent is never retried.
/// </summary>
internal sealed class UpstreamResilienceHandler : DelegatingHandler
{
    private readonly ResiliencePipeline _pipeline;

    public UpstreamResilienceHandler(ResiliencePipeline pipeline, HttpMessageHandler inner)
        : base(inner) => _pipeline = pipeline;

    public static ResiliencePipeline CreatePipeline(UpstreamResilienceSettings settings, TimeProvider time)
    {
        var connectFailure = new PredicateBuilder().Handle<HttpRequestException>(IsConnectFailure);
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (settings.ConnectRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = connectFailure,
                MaxRetryAttempts = settings.ConnectRetries,
                Delay = settings.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(),
            FailureRatio = settings.BreakerFailureRatio,
            MinimumThroughput = settings.BreakerMinimumThroughput,
            SamplingDuration = settings.BreakerSamplingDuration,
            BreakDuration = settings.BreakDuration,
        });
        return builder.Build();
    }

    /// <summary>The connection was never established, so no byte of the request reached the backend.</summary>
    internal static bool IsConnectFailure(HttpRequestException exception) =>
        exception.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        || exception.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable };

    // No async wrappers of its own: the pipeline awaits the send, and this only hands its task on.
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(
            static (state, token) => new ValueTask<HttpResponseMessage>(state.Handler.SendCoreAsync(state.Request, token)),
            (Handler: this, Request: request),
            cancellationToken).AsTask();

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}
