using System.Diagnostics;
using Guardrail.Tracing;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>
/// The engine's spans, as children of the check that queued the work: the wait in the queue, and the batch that
/// decoded it. The worker is one thread serving every caller, so each span names its parent explicitly (captured when
/// the check was queued) and the worker's own <see cref="Activity.Current"/> is left empty between batches.
/// </summary>
public static class ClassifierTracing
{
    /// <summary>The engine's source name, for a host to subscribe to (<c>AddSource</c>).</summary>
    public const string SourceName = "Guardrail.LlamaCpp";

    /// <summary>The span from queueing a check to the start of the batch that takes it.</summary>
    public const string QueueWaitSpan = "classifier queue wait";

    /// <summary>The span of a check's batch, from its start to the check's verdict.</summary>
    public const string DecodeSpan = "classifier decode";

    internal static ActivitySource Source { get; } = new(SourceName);

    /// <summary>The check's parent span and the time it was queued; null when nobody listens (no cost then).</summary>
    internal static QueuedTrace? Capture() =>
        Source.HasListeners() && Activity.Current is { } parent ? new QueuedTrace(parent.Context, DateTimeOffset.UtcNow) : null;

    /// <summary>The queue wait, from queueing to the start of the batch that took the work.</summary>
    internal static void RecordQueueWait(QueuedTrace? trace, string tenant)
    {
        if (trace is null)
        {
            return;
        }

        using var span = Source.StartActivity(QueueWaitSpan, ActivityKind.Internal, trace.Parent, startTime: trace.Queued);
        span?.SetTag(GuardrailTracing.TenantAttribute, tenant);
    }

    /// <summary>Starts the work's decode span; the worker stops it when the verdict is made.</summary>
    internal static Activity? StartDecode(QueuedTrace? trace, int batchSize, int promptTokens, string model)
    {
        if (trace is null)
        {
            return null;
        }

        var span = Source.StartActivity(DecodeSpan, ActivityKind.Internal, trace.Parent);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(GuardrailTracing.GenAiOperationAttribute, "text_completion");
            span.SetTag(GuardrailTracing.GenAiRequestModelAttribute, model);
            span.SetTag(GuardrailTracing.GenAiInputTokensAttribute, promptTokens);
            span.SetTag(GuardrailTracing.ClassifierBatchSizeAttribute, batchSize);
        }

        // Started on the worker thread: the next span it starts must not take this one as its parent.
        Activity.Current = null;
        return span;
    }

    /// <summary>Ends a decode span: tokens taken from a cached prefix, tokens generated, and whether it failed.</summary>
    internal static void EndDecode(Activity? span, int reusedTokens, int generatedTokens, bool failed)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag(GuardrailTracing.ClassifierTokensReusedAttribute, reusedTokens);
        span.SetTag(GuardrailTracing.GenAiOutputTokensAttribute, generatedTokens);
        if (failed)
        {
            span.SetStatus(ActivityStatusCode.Error, "classification failed");
        }

        span.Stop();
        Activity.Current = null;
    }
}

/// <summary>Where a queued check's spans belong and when it was queued (the activity clock, as every span's).</summary>
internal sealed record QueuedTrace(ActivityContext Parent, DateTimeOffset Queued);
