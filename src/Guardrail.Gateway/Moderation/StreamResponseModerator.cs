using System.IO.Pipelines;
using Guardrail.Conversations;
using Guardrail.Gateway.Configuration;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Policies;
using Guardrail.Streaming;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// Step 7 for server-sent-event responses: the policy's streaming mode decides how much text is held back. In
/// <c>window</c> mode (the default) no text reaches the client before a check has passed over it; on a block the
/// client gets what was already released, one chunk with <c>finish_reason: "content_filter"</c> and the
/// <c>guardrail</c> object, then <c>data: [DONE]</c>, and the backend transfer is stopped.
/// </summary>
internal sealed partial class StreamResponseModerator
{
    private readonly ModerationPipeline _pipeline;
    private readonly ModerationMetrics _metrics;
    private readonly long _maxBufferedBytes;
    private readonly ILogger<StreamResponseModerator> _logger;

    public StreamResponseModerator(ModerationPipeline pipeline, ModerationMetrics metrics, GuardrailOptions options, ILogger<StreamResponseModerator> logger)
    {
        _pipeline = pipeline;
        _metrics = metrics;
        _maxBufferedBytes = options.Limits.MaxResponseBodyBytes;
        _logger = logger;
    }

    public async Task RunAsync(HttpContext context, PipeReader backend, Stream client, OpenAIRequest request, Policy policy, Policy? shadow, ModerationContext moderation)
    {
        var settings = policy.Streaming;
        var moderator = new StreamModerator(new StreamModerationOptions
        {
            Mode = settings.Mode,
            WindowChars = settings.WindowChars,
            OverlapChars = Math.Min(settings.OverlapChars, settings.WindowChars - 1),
            MaxBufferedBytes = _maxBufferedBytes,
        });

        var result = await moderator.RunAsync(
            backend.AsStream(leaveOpen: true),
            client,
            (check, cancellationToken) => CheckAsync(check, request, policy, shadow, moderation, cancellationToken),
            context.RequestAborted);

        switch (result.Outcome)
        {
            case StreamModerationOutcome.Blocked:
                _metrics.StreamCut(policy.Id);
                LogStreamCut(_logger, policy.Id, result.BlockedChoiceIndex ?? -1, result.DownstreamBytes);
                break;
            case StreamModerationOutcome.UpstreamFailed or StreamModerationOutcome.UpstreamTruncated:
                // The backend broke off: end the client's stream the same way, rather than invent its end.
                LogUpstreamBroke(_logger, result.Outcome, result.UpstreamError ?? "no detail");
                context.Abort();
                break;
        }
    }

    private async ValueTask<StreamCheckResult> CheckAsync(StreamCheck check, OpenAIRequest request, Policy policy, Policy? shadow, ModerationContext moderation, CancellationToken cancellationToken)
    {
        var prompt = ResponseModerator.ConversationFor(request, Math.Max(check.ChoiceIndex, 0));
        ModerationOutcome outcome;
        if (check.Fault is { } fault)
        {
            outcome = await _pipeline.RecordUncheckableAsync(prompt, CheckDirection.Response, policy, moderation, $"The backend's stream could not be checked ({fault}).", cancellationToken);
        }
        else
        {
            var conversation = prompt.Append(ConversationTurn.Assistant(check.Text));
            outcome = await _pipeline.CheckAsync(conversation, CheckDirection.Response, policy, shadow, moderation, cancellationToken, recordAllowed: check.IsFinal);
        }

        return outcome.Blocked ? StreamCheckResult.Block(GuardrailResponseObject.Create(outcome)) : StreamCheckResult.Allow;
    }

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Stream cut by policy {PolicyId}: choice {Choice}, {Bytes} bytes released before the cut")]
    private static partial void LogStreamCut(ILogger logger, string policyId, int choice, long bytes);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "The backend's stream ended abnormally ({Outcome}): {Detail}")]
    private static partial void LogUpstreamBroke(ILogger logger, StreamModerationOutcome outcome, string detail);
}
