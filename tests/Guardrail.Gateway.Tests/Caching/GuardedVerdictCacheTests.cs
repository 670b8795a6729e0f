using System.Diagnostics.Metrics;
using Guardrail.Caching;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Gateway.Caching;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace Guardrail.Gateway.Tests.Caching;

/// <summary>The breaker in front of Redis: a frozen Redis is skipped, counted, and used again once it answers.</summary>
[Collection(RedisCollection.Name)]
public sealed class GuardedVerdictCacheTests : IDisposable
{
    private static readonly GuardVerdict Safe = new() { Outcome = GuardOutcome.Safe, UnsafeProbability = 0.01, RawOutput = "safe", ModelId = "m" };

    private readonly MeterFactory _meters = new();
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _counts = [];
    private readonly RecordingLogger _log = new();

    public GuardedVerdictCacheTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == VerdictCacheMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var reason = string.Empty;
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    reason = ":" + tag.Value;
                }
            }

            lock (_counts)
            {
                _counts[instrument.Name] = _counts.GetValueOrDefault(instrument.Name) + value;
                if (reason.Length > 0)
                {
                    _counts[instrument.Name + reason] = _counts.GetValueOrDefault(instrument.Name + reason) + value;
                }
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }

    private long Count(string name)
    {
        lock (_counts)
        {
            return _counts.GetValueOrDefault(name);
        }
    }

    private static VerdictCacheKey Key(string text) =>
        VerdictCacheKey.Create(new Conversation([ConversationTurn.User(text)]), CheckDirection.Prompt, [], "m");

    [Fact]
    public async Task GetAsync_RedisFrozen_SkipsItThroughTheBreakerAndRecovers()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var services = RedisCacheServices.Create(server.Url(), "g:", commandTimeoutMilliseconds: 1000);
        var cache = new GuardedVerdictCache(
            new DistributedVerdictCache(services.GetRequiredService<IDistributedCache>(), TimeSpan.FromMinutes(5)),
            new VerdictCacheMetrics(_meters, "redis"),
            new VerdictCacheBreakerOptions { Store = "redis", BreakDuration = TimeSpan.FromSeconds(2) },
            TimeProvider.System,
            _log);
        await cache.SetAsync(Key("a"), Safe, CancellationToken.None);
        Assert.NotNull(await cache.GetAsync(Key("a"), CancellationToken.None));
        Assert.Equal(1, Count("guardrail_cache_hits_total"));

        await server.PauseAsync();
        try
        {
            // Every lookup returns (a miss) instead of throwing; after a few failures the breaker opens and the rest
            // do not even wait for a timeout.
            await Eventually.WaitAsync(
                async () =>
                {
                    Assert.Null(await cache.GetAsync(Key("a"), CancellationToken.None));
                    return cache.BreakerState;
                },
                static state => state == CircuitState.Open,
                TimeSpan.FromSeconds(30),
                "the breaker to open");
            // An open breaker does not send the lookup to Redis at all: it is skipped, and counted as such.
            var skipped = Count("guardrail_cache_errors_total:circuit_open");
            Assert.Null(await cache.GetAsync(Key("a"), CancellationToken.None));
            Assert.Equal(skipped + 1, Count("guardrail_cache_errors_total:circuit_open"));
            Assert.True(Count("guardrail_cache_errors_total:timeout") >= 1, "lookups on the frozen server time out and count as timeouts");
            Assert.Equal(4111, _log.EventIds[0]);
        }
        finally
        {
            await server.ResumeAsync();
        }

        await Eventually.WaitAsync(
            async () => await cache.GetAsync(Key("a"), CancellationToken.None),
            static verdict => verdict is not null,
            TimeSpan.FromSeconds(30),
            "hits to resume after SIGCONT");
        Assert.Equal(CircuitState.Closed, cache.BreakerState);

        // Logged once per state change (opened, half-open, closed), not once per failed lookup.
        Assert.Equal([4111, 4112, 4113], _log.EventIds.Distinct());
        Assert.Single(_log.EventIds, static id => id == 4113);
    }

    private sealed class RecordingLogger : ILogger<GuardedVerdictCache>
    {
        private readonly List<int> _events = [];

        public IReadOnlyList<int> EventIds
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_events)
            {
                _events.Add(eventId.Id);
            }
        }
    }

    private sealed class MeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
