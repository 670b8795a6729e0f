using Polly;
using Polly.CircuitBreaker;

namespace Guardrail.Gateway.Limits;

/// <summary>
/// Redis buckets with a documented fallback: while Redis fails (or its breaker is open), each replica enforces
/// every limit divided by <c>Guardrail:RateLimits:ReplicaCount</c> in its own memory, so requests are neither failed
/// (no 5xx from a limit) nor let through unlimited. A breaker keeps an outage from costing each request a timeout.
/// </summary>
internal sealed partial class SharedLimitStore : ILimitStore
{
    private readonly ILimitStore _shared;
    private readonly MemoryLimitStore _local = new();
    private readonly int _replicas;
    private readonly RateLimitMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private int _fallingBack;

    public SharedLimitStore(ILimitStore shared, int replicas, TimeSpan breakDuration, RateLimitMetrics metrics, TimeProvider time, ILogger<SharedLimitStore> logger)
    {
        _shared = shared;
        _replicas = replicas;
        _metrics = metrics;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = breakDuration,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(static e => e is not OperationCanceledException),
            })
            .Build();
    }

    public async ValueTask<(bool Allowed, double Tat)> TakeAsync(string key, LimitBucket bucket, double nowMilliseconds, long cost, bool force, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _pipeline.ExecuteAsync(
                static (state, token) => state.Shared.TakeAsync(state.Key, state.Bucket, state.Now, state.Cost, state.Force, token),
                (Shared: _shared, Key: key, Bucket: bucket, Now: nowMilliseconds, Cost: cost, Force: force),
                cancellationToken);
            if (Interlocked.Exchange(ref _fallingBack, 0) == 1)
            {
                LogShared(_logger);
            }

            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _metrics.StoreFailed(e is BrokenCircuitException ? "circuit_open" : "failure");
            if (Interlocked.Exchange(ref _fallingBack, 1) == 0)
            {
                LogFallingBack(_logger, _replicas, e.GetType().Name);
            }

            return await _local.TakeAsync(key, ScaledForOneReplica(bucket), nowMilliseconds, cost, force, cancellationToken);
        }
    }

    /// <summary>This replica's part of a fleet-wide limit: the limit over the replica count, at least one unit.</summary>
    internal LimitBucket ScaledForOneReplica(LimitBucket bucket) => new(Math.Max(1, bucket.Limit / _replicas));

    [LoggerMessage(EventId = GatewayEventIds.RateLimitStoreFallback, Level = LogLevel.Warning, Message = "Rate limits cannot reach Redis ({Reason}): each replica enforces its limits divided by {Replicas} until Redis answers again.")]
    private static partial void LogFallingBack(ILogger logger, int replicas, string reason);

    [LoggerMessage(EventId = GatewayEventIds.RateLimitStoreShared, Level = LogLevel.Information, Message = "Rate limits are shared through Redis again.")]
    private static partial void LogShared(ILogger logger);
}
