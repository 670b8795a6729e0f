using Guardrail.Auditing;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Core.Tests.Policies;
using Guardrail.Moderation;
using Guardrail.Policies;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Guardrail.Core.Tests.Moderation;

/// <summary>Step 9 when the audit log cannot take a decision (ModerationPipeline's audit path).</summary>
public sealed class ModerationPipelineAuditTests : IDisposable
{
    private static readonly ModerationContext Context = new("t", "k", "route", "model", "req");
    private static readonly Conversation Chat = new([ConversationTurn.User("hello")]);

    private readonly TestMeterFactory _meters = new();
    private readonly List<(ModerationOutcome Outcome, Exception Error)> _reported = [];

    public void Dispose() => _meters.Dispose();

    public static TheoryData<Exception> Failures => new() { new AuditQueueFullException(), new AuditWriteException("disk full") };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task CheckAsync_AllowedButUnrecordedFailingClosed_IsRefusedAsUnavailable(Exception failure)
    {
        using var counter = new MetricCollector<long>(_meters, ModerationMetrics.MeterName, "guardrail_audit_write_failures_total");
        var pipeline = Pipeline(GuardOutcome.Safe, failure);

        var outcome = await pipeline.CheckAsync(Chat, CheckDirection.Prompt, Policy("block"), null, Context, CancellationToken.None);

        Assert.True(outcome.AuditFailed);
        Assert.Equal(ModerationAction.Allow, outcome.Decision.Action);
        Assert.True(outcome.RefusedUnrecorded);
        Assert.True(outcome.Blocked);
        Assert.True(outcome.Unavailable);
        Assert.Same(failure, Assert.Single(_reported).Error);
        Assert.Equal(1, counter.GetMeasurementSnapshot().Where(m => m.Tags["result"] is "fail_closed").Sum(m => m.Value));
    }

    [Fact]
    public async Task CheckAsync_AllowedButUnrecordedFailingOpen_IsServed()
    {
        using var counter = new MetricCollector<long>(_meters, ModerationMetrics.MeterName, "guardrail_audit_write_failures_total");
        var pipeline = Pipeline(GuardOutcome.Safe, new AuditQueueFullException());

        var outcome = await pipeline.CheckAsync(Chat, CheckDirection.Prompt, Policy("allow"), null, Context, CancellationToken.None);

        Assert.True(outcome.AuditFailed);
        Assert.False(outcome.Blocked);
        Assert.False(outcome.Unavailable);
        Assert.Equal(1, counter.GetMeasurementSnapshot().Where(m => m.Tags["result"] is "fail_open").Sum(m => m.Value));
    }

    [Theory]
    [InlineData("block")]
    [InlineData("allow")]
    public async Task CheckAsync_BlockedButUnrecorded_IsStillAContentRefusal(string onError)
    {
        using var counter = new MetricCollector<long>(_meters, ModerationMetrics.MeterName, "guardrail_audit_write_failures_total");
        var pipeline = Pipeline(GuardOutcome.Unsafe, new AuditWriteException("disk full"));

        var outcome = await pipeline.CheckAsync(Chat, CheckDirection.Prompt, Policy(onError), null, Context, CancellationToken.None);

        // Failing open never lets through content the classifier blocked, recorded or not.
        Assert.True(outcome.AuditFailed);
        Assert.Equal(ModerationAction.Block, outcome.Decision.Action);
        Assert.True(outcome.Blocked);
        Assert.False(outcome.Unavailable);
        Assert.Equal(1, counter.GetMeasurementSnapshot().Where(m => m.Tags["result"] is "blocked").Sum(m => m.Value));
    }

    [Fact]
    public async Task CheckAsync_OtherExceptionFromTheSink_Propagates()
    {
        var pipeline = Pipeline(GuardOutcome.Safe, new InvalidOperationException("a bug, not an outage"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.CheckAsync(Chat, CheckDirection.Prompt, Policy("block"), null, Context, CancellationToken.None).AsTask());
    }

    private static Policy Policy(string onError) => PolicyTestFiles.Policy($"id: p\ntaxonomy: llama-guard-3\non_error: {onError}\n");

    private ModerationPipeline Pipeline(GuardOutcome outcome, Exception failure) =>
        new(new FixedClassifier(outcome), new FailingAuditSink(failure), new ModerationMetrics(_meters), TimeProvider.System, auditFailed: (o, e) => _reported.Add((o, e)));

    private sealed class FixedClassifier(GuardOutcome outcome) : IGuardClassifier
    {
        public ValueTask<GuardVerdict> ClassifyAsync(GuardRequest request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new GuardVerdict
            {
                Outcome = outcome,
                UnsafeProbability = outcome == GuardOutcome.Unsafe ? 0.99 : 0.01,
                Categories = outcome == GuardOutcome.Unsafe ? ["S1"] : [],
                RawOutput = outcome == GuardOutcome.Unsafe ? "unsafe\nS1" : "safe",
            });
    }

    private sealed class FailingAuditSink(Exception failure) : IAuditSink
    {
        public ValueTask WriteAsync(AuditRecord record, AuditDurability durability, CancellationToken cancellationToken) => ValueTask.FromException(failure);
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            var meter = new System.Diagnostics.Metrics.Meter(options.Name, options.Version, options.Tags, this);
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
