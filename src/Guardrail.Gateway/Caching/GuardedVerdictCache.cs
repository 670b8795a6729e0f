using Guardrail.Caching;
using Guardrail.Classification;
using Polly;
using Polly.CircuitBreaker;

namespace Guardrail.Gateway.Caching;

/// <summary>
/// The verdict cache as the moderation pipeline sees it: never throws (except for the request's own
/// cancellation), counts hits, misses and errors, and, for a remote store, skips the store through a circuit
/// breaker while it fails, so a Redis outage costs one timeout per probe, not one per request.
/// </summary>
internal sealed partial class GuardedVerdictCache : IVerdictCache
{
    private readonly IVerdictCache _inner;
    private readonly VerdictCacheMetrics _metrics;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider? _breaker;

    public GuardedVerdictCache(IVerdictCache inner, VerdictCacheMetrics metrics, VerdictCacheBreakerOptions? breaker, TimeProvider time, ILogger<GuardedVerdictCache> logger)
    {
        _inner = inner;
        _metrics = metrics;
        if (breaker is null)
        {
            _pipeline = ResiliencePipeline.Empty;
            return;
        }

        _breaker = new CircuitBreakerStateProvider();
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,
                StateProvider = _breaker,
                // Everything but the caller's own cancellation counts: refused connections, timeouts, error replies.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(static e => e is not OperationCanceledException),
                OnOpened = args =>
                {
                    LogOpened(logger, breaker.Store, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message ?? "failures");
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    LogHalfOpened(logger, breaker.Store);
                    return default;
                },
                OnClosed = _ =>
                {
                    LogClosed(logger, breaker.Store);
                    return default;
                },
            })
            .Build();
        metrics.ObserveBreaker(() => _breaker.CircuitState switch
        {
            CircuitState.Closed => 0,
            CircuitState.HalfOpen => 1,
            _ => 2,
        });
    }

    /// <summary>The breaker's state; closed when there is no breaker.</summary>
    public CircuitState BreakerState => _breaker?.CircuitState ?? CircuitState.Closed;

    public async ValueTask<GuardVerdict?> GetAsync(VerdictCacheKey key, CancellationToken cancellationToken)
    {
        GuardVerdict? verdict;
        try
        {
            verdict = await _pipeline.ExecuteAsync(
                static (state, token) => state.Inner.GetAsync(state.Key, token),
                (Inner: _inner, Key: key),
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _metrics.Error("get", Reason(e));
            return null;
        }

        if (verdict is null)
        {
            _metrics.Miss();
        }
        else
        {
            _metrics.Hit();
        }

        return verdict;
    }

    public async ValueTask SetAsync(VerdictCacheKey key, GuardVerdict verdict, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.ExecuteAsync(
                static (state, token) => state.Inner.SetAsync(state.Key, state.Verdict, token),
                (Inner: _inner, Key: key, Verdict: verdict),
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _metrics.Error("set", Reason(e));
        }
    }

    private static string Reason(Exception e) => e switch
    {
        BrokenCircuitException => "circuit_open",
        // StackExchange.Redis's RedisTimeoutException is a TimeoutException, and so is a connection still being made.
        TimeoutException => "timeout",
        _ => "failure",
    };

    [LoggerMessage(EventId = GatewayEventIds.VerdictCacheBreakerOpened, Level = LogLevel.Warning, Message = "Verdict cache ({Store}) is failing: skipping it for {BreakSeconds} s; requests go to the classifier. Last error: {Reason}")]
    private static partial void LogOpened(ILogger logger, string store, double breakSeconds, string reason);

    [LoggerMessage(EventId = GatewayEventIds.VerdictCacheBreakerHalfOpened, Level = LogLevel.Information, Message = "Verdict cache ({Store}): trying it again.")]
    private static partial void LogHalfOpened(ILogger logger, string store);

    [LoggerMessage(EventId = GatewayEventIds.VerdictCacheBreakerClosed, Level = LogLevel.Information, Message = "Verdict cache ({Store}) has recovered.")]
    private static partial void LogClosed(ILogger logger, string store);
}

/// <summary>When the cache's circuit breaker opens and for how long.</summary>
internal sealed record VerdictCacheBreakerOptions
{
    public required string Store { get; init; }

    public double FailureRatio { get; init; } = 0.5;

    public int MinimumThroughput { get; init; } = 5;

    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);
}
