using System.Diagnostics.Metrics;
using Guardrail.Auditing;
using Guardrail.Caching;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Core.Tests.Policies;
using Guardrail.Moderation;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Caching;

/// <summary>The pipeline's use of the verdict cache (ModerationPipeline's caching path).</summary>
public sealed class ModerationPipelineCachingTests : IDisposable
{
    private static readonly Policy Default = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n");
    private static readonly ModerationContext Context = new("t", "k", "route", "model", "req");
    private static readonly Conversation Chat = new([ConversationTurn.User("hello")]);

    private readonly TestMeterFactory _meters = new();
    private readonly CountingClassifier _classifier = new();
    private readonly RecordingAuditSink _audit = new();

    public void Dispose() => _meters.Dispose();

    private ModerationPipeline Pipeline(IVerdictCache cache) =>
        new(_classifier, _audit, new ModerationMetrics(_meters), TimeProvider.System, new VerdictCaching(cache, "model-a"));

    [Fact]
    public async Task CheckAsync_SameConversationTwice_ClassifiesOnceAndAuditsTheHit()
    {
        var pipeline = Pipeline(new MemoryVerdictCache(10, TimeSpan.FromMinutes(1), TimeProvider.System));

        var first = await pipeline.CheckAsync(Chat, CheckDirection.Prompt, Default, null, Context, CancellationToken.None);
        var second = await pipeline.CheckAsync(Chat, CheckDirection.Prompt, Default, null, Context, CancellationToken.None);

        Assert.Equal(1, _classifier.Calls);
        Assert.Equal(first.Decision.Action, second.Decision.Action);
        Assert.Equal([false, true], _audit.Records.Select(r => r.CacheHit));
        Assert.Equal(TimeSpan.Zero, second.Verdict.Latency);
    }

    [Fact]
    public async Task CheckAsync_ErrorVerdict_IsNotCached()
    {
        _classifier.Next = GuardVerdict.Failed("overloaded");
        var pipeline = Pipeline(new MemoryVerdictCache(10, TimeSpan.FromMinutes(1), TimeProvider.System));

        await pipeline.CheckAsync(Chat, CheckDirection.Prompt, Default, null, Context, CancellationToken.None);
        await pipeline.CheckAsync(Chat, CheckDirection.Prompt, Default, null, Context, CancellationToken.None);

        Assert.Equal(2, _classifier.Calls);
        Assert.All(_audit.Records, r => Assert.False(r.CacheHit));
    }

    [Fact]
    public async Task CheckAsync_CacheThrows_ClassifiesAndSucceeds()
    {
        var pipeline = Pipeline(new ThrowingCache());

        var outcome = await pipeline.CheckAsync(Chat, CheckDirection.Prompt, Default, null, Context, CancellationToken.None);

        Assert.Equal(ModerationAction.Allow, outcome.Decision.Action);
        Assert.Equal(1, _classifier.Calls);
    }

    private sealed class CountingClassifier : IGuardClassifier
    {
        private int _calls;

        public int Calls => _calls;

        public GuardVerdict Next { get; set; } = new() { Outcome = GuardOutcome.Safe, UnsafeProbability = 0.02, RawOutput = "safe", Latency = TimeSpan.FromMilliseconds(5) };

        public ValueTask<GuardVerdict> ClassifyAsync(GuardRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.FromResult(Next);
        }
    }

    private sealed class RecordingAuditSink : IAuditSink
    {
        public List<AuditRecord> Records { get; } = [];

        public ValueTask WriteAsync(AuditRecord record, AuditDurability durability, CancellationToken cancellationToken)
        {
            Records.Add(record);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowingCache : IVerdictCache
    {
        public ValueTask<GuardVerdict?> GetAsync(VerdictCacheKey key, CancellationToken cancellationToken) => throw new IOException("down");

        public ValueTask SetAsync(VerdictCacheKey key, GuardVerdict verdict, CancellationToken cancellationToken) => throw new IOException("down");
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
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
