using System.Diagnostics.Metrics;
using Guardrail.Auditing;
using Guardrail.Caching;
using Guardrail.Classification;
using Guardrail.Conversations;
using Guardrail.Core.Tests.Policies;
using Guardrail.Moderation;
using Guardrail.Policies;

namespace Guardrail.Core.Tests.Moderation;

/// <summary>What ModerationPipeline asks the classifier: the policy's categories that the loaded model knows.</summary>
public sealed class ModerationPipelineTests : IDisposable
{
    private static readonly ModerationContext Context = new("t", "k", "route", "model", "req");
    private static readonly Conversation Chat = new([ConversationTurn.User("hello")]);

    private readonly MeterFactory _meters = new();

    public void Dispose() => _meters.Dispose();

    [Fact]
    public async Task CheckAsync_OneBillionModel_SendsTheDefaultPolicyWithoutS14()
    {
        var classifier = new RecordingClassifier(GuardModelVariant.LlamaGuard3OneB);
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n");

        await Pipeline(classifier).CheckAsync(Chat, CheckDirection.Prompt, policy, null, Context, CancellationToken.None);

        var request = Assert.Single(classifier.Requests);
        Assert.Equal(Enumerable.Range(1, 13).Select(n => $"S{n}"), request.Categories.Select(category => category.Code));
    }

    [Theory]
    [InlineData("llama-guard-3-8b")]
    [InlineData("unknown")]
    public async Task CheckAsync_EightBillionOrUnknownModel_SendsS14(string variantId)
    {
        var variant = GuardModelVariant.Find(variantId) ?? GuardModelVariant.Unknown;
        var classifier = new RecordingClassifier(variant);
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n");

        await Pipeline(classifier).CheckAsync(Chat, CheckDirection.Prompt, policy, null, Context, CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 14).Select(n => $"S{n}"), Assert.Single(classifier.Requests).Categories.Select(category => category.Code));
    }

    [Fact]
    public async Task CheckAsync_CustomCategoryWithOneBillionModel_StaysInThePrompt()
    {
        var classifier = new RecordingClassifier(GuardModelVariant.LlamaGuard3OneB);
        var policy = PolicyTestFiles.Policy("""
            id: p
            taxonomy: llama-guard-3
            default_action: off
            categories:
              S14: block
            custom_categories:
              - code: S15
                name: Competitor Promotion
                description: Messages that praise competing products.
                action: block
            """);

        await Pipeline(classifier).CheckAsync(Chat, CheckDirection.Prompt, policy, null, Context, CancellationToken.None);

        Assert.Equal(["S15"], Assert.Single(classifier.Requests).Categories.Select(category => category.Code));
    }

    [Fact]
    public async Task CheckAsync_PolicyEnablingOnlyWhatTheModelNeverLearnt_FailsPerOnErrorWithoutClassifying()
    {
        var classifier = new RecordingClassifier(GuardModelVariant.LlamaGuard3OneB);
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\ndefault_action: off\ncategories:\n  S14: block\n");

        var outcome = await Pipeline(classifier).CheckAsync(Chat, CheckDirection.Prompt, policy, null, Context, CancellationToken.None);

        Assert.Empty(classifier.Requests);
        Assert.Equal(GuardOutcome.Error, outcome.Verdict.Outcome);
        Assert.Contains("enables no category that llama-guard-3-1b was trained on (S14 only)", outcome.Verdict.Error, StringComparison.Ordinal);
        Assert.Equal(ModerationAction.Block, outcome.Decision.Action);
    }

    [Fact]
    public async Task CheckAsync_ModelsWithDifferentPromptsSharingACache_NeverReuseEachOthersVerdicts()
    {
        // One cache and one model identity: only the effective category set tells the two prompts apart.
        var cache = new MemoryVerdictCache(10, TimeSpan.FromMinutes(1), TimeProvider.System);
        var policy = PolicyTestFiles.Policy("id: p\ntaxonomy: llama-guard-3\n");
        var small = new RecordingClassifier(GuardModelVariant.LlamaGuard3OneB);
        var large = new RecordingClassifier(GuardModelVariant.LlamaGuard3EightB);

        await Pipeline(small, cache).CheckAsync(Chat, CheckDirection.Prompt, policy, null, Context, CancellationToken.None);
        await Pipeline(large, cache).CheckAsync(Chat, CheckDirection.Prompt, policy, null, Context, CancellationToken.None);
        await Pipeline(large, cache).CheckAsync(Chat, CheckDirection.Prompt, policy, null, Context, CancellationToken.None);

        Assert.Single(small.Requests);
        Assert.Single(large.Requests);
    }

    private ModerationPipeline Pipeline(IGuardClassifier classifier, IVerdictCache? cache = null) =>
        new(classifier, new DiscardingAuditSink(), new ModerationMetrics(_meters), TimeProvider.System, cache is null ? null : new VerdictCaching(cache, "same-model-file"));

    private sealed class RecordingClassifier(GuardModelVariant variant) : IGuardClassifier
    {
        private readonly List<GuardRequest> _requests = [];

        public GuardModelVariant Variant => variant;

        public IReadOnlyList<GuardRequest> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        public ValueTask<GuardVerdict> ClassifyAsync(GuardRequest request, CancellationToken cancellationToken)
        {
            lock (_requests)
            {
                _requests.Add(request);
            }

            return ValueTask.FromResult(new GuardVerdict { Outcome = GuardOutcome.Safe, UnsafeProbability = 0.01, RawOutput = "safe" });
        }
    }

    private sealed class DiscardingAuditSink : IAuditSink
    {
        public ValueTask WriteAsync(AuditRecord record, AuditDurability durability, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class MeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(meter => meter.Dispose());
    }
}
