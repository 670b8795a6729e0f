using Guardrail.Conversations;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Limits;
using Guardrail.Gateway.Proxy;
using Guardrail.Gateway.Tracing;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Streaming;
using Yarp.ReverseProxy.Forwarder;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// Step 7 for server-sent-event responses, called by <see cref="ResponseModerator"/>: the policy's streaming mode
/// decides how much text is held back. In <c>window</c> mode (the default) no text reaches the client before a check
/// has passed over it; on a block the client gets what was already released, one chunk with
/// <c>finish_reason: "content_filter"</c> and the <c>guardrail</c> object, then <c>data: [DONE]</c>, and the backend
/// transfer is stopped.
/// </summary>
internal sealed partial class StreamResponseModerator
{
    private readonly ModerationPipeline _pipeline;
    private readonly ModerationMetrics _metrics;
    private readonly GatewayRateLimiter _limiter;
    private readonly TokenCounter _tokens;
    private readonly long _maxBufferedBytes;
    private readonly ILogger<StreamResponseModerator> _logger;

    public StreamResponseModerator(ModerationPipeline pipeline, ModerationMetrics metrics, GatewayRateLimiter limiter, TokenCounter tokens, GuardrailOptions options, ILogger<StreamResponseModerator> logger)
    {
        _pipeline = pipeline;
        _metrics = metrics;
        _limiter = limiter;
        _tokens = tokens;
        _maxBufferedBytes = options.Limits.MaxResponseBodyBytes;
        _logger = logger;
    }

    /// <summary>Moderates the backend's event stream <paramref name="backend"/> into the client's response body.</summary>
    public async Task RunAsync(HttpContext context, Stream backend, ModeratedExchange exchange)
    {
        var policy = exchange.Policy;
        var settings = policy.Streaming;
        var moderator = new StreamModerator(new StreamModerationOptions
        {
            Mode = settings.Mode,
            WindowChars = settings.WindowChars,
            OverlapChars = Math.Min(settings.OverlapChars, settings.WindowChars - 1),
            MaxBufferedBytes = _maxBufferedBytes,
            Protocol = exchange.Request.Api == OpenAIApi.Responses ? StreamProtocol.Responses : StreamProtocol.ChatCompletions,
            RefusalText = policy.RefusalText,
        });

        // The released bytes may differ from the backend's (a cut stream ends early), so its length cannot stand.
        context.Response.ContentLength = null;
        var charges = context.Features.Get<RateLimitAdmission>() is { LimitsTokens: true } limits ? new StreamCharges(limits) : null;
        var result = await moderator.RunAsync(
            backend,
            context.Response.Body,
            async (check, cancellationToken) =>
            {
                if (charges is not null)
                {
                    await ChargeNewTextAsync(charges, check, cancellationToken);
                }

                return await CheckAsync(check, exchange, cancellationToken);
            },
            context.RequestAborted);

        switch (result.Outcome)
        {
            case StreamModerationOutcome.Blocked:
                _metrics.StreamCut(policy.Id);
                RequestTracing.StreamCut(context, result.BlockedChoiceIndex ?? -1, result.DownstreamBytes);
                LogStreamCut(_logger, policy.Id, result.BlockedChoiceIndex ?? -1, result.DownstreamBytes);
                break;
            case StreamModerationOutcome.UpstreamFailed or StreamModerationOutcome.UpstreamTruncated:
                // The backend broke off: the client's stream must end the same way, rather than with an invented end.
                LogUpstreamBroke(_logger, result.Outcome, result.UpstreamError ?? "no detail");
                UpstreamFailure.Set(context, ForwarderError.ResponseBodyDestination, new IOException(result.UpstreamError ?? "The backend's stream ended early."));
                break;
            case StreamModerationOutcome.ClientAborted:
                UpstreamFailure.Set(context, ForwarderError.ResponseBodyClient, null);
                break;
        }
    }

    private async ValueTask<StreamCheckResult> CheckAsync(StreamCheck check, ModeratedExchange exchange, CancellationToken cancellationToken)
    {
        var prompt = ResponseModerator.ConversationFor(exchange.Request, Math.Max(check.ChoiceIndex, 0));
        ModerationOutcome outcome;
        if (check.Fault is { } fault)
        {
            outcome = await _pipeline.RecordUncheckableAsync(prompt, CheckDirection.Response, exchange.Policy, exchange.Moderation, $"The backend's stream could not be checked ({fault}).", cancellationToken);
        }
        else
        {
            var conversation = prompt.Append(ConversationTurn.Assistant(check.Text));
            outcome = await _pipeline.CheckAsync(conversation, CheckDirection.Response, exchange.Policy, exchange.Shadow, exchange.Moderation, cancellationToken, recordAllowed: check.IsFinal);
        }

        return outcome.Blocked ? StreamCheckResult.Block(GuardrailResponseObject.Create(outcome)) : StreamCheckResult.Allow;
    }

    /// <summary>
    /// Charges the text a check sees for the first time, as it arrives: the stream goes on whatever the budget says
    /// (it is never cut for tokens), and a budget it overran refuses the next request.
    /// </summary>
    private async ValueTask ChargeNewTextAsync(StreamCharges charges, StreamCheck check, CancellationToken cancellationToken)
    {
        if (check.Fault is not null)
        {
            return;
        }

        var choice = Math.Max(check.ChoiceIndex, 0);
        var counted = charges.CountedUpTo.GetValueOrDefault(choice);
        var end = check.TextStart + check.Text.Length;
        if (end <= counted)
        {
            return;
        }

        var from = (int)Math.Clamp(counted - check.FullTextStart, 0, check.FullText.Length);
        charges.CountedUpTo[choice] = end;
        await _limiter.ChargeCompletionAsync(charges.Admission, _tokens.Count(check.FullText[from..]), cancellationToken);
    }

    /// <summary>One stream's token charges: how far into each choice's text has been charged.</summary>
    private sealed class StreamCharges(RateLimitAdmission admission)
    {
        public RateLimitAdmission Admission { get; } = admission;

        public Dictionary<int, long> CountedUpTo { get; } = [];
    }

    [LoggerMessage(EventId = GatewayEventIds.StreamCut, Level = LogLevel.Information, Message = "Stream cut by policy {PolicyId}: choice {Choice}, {Bytes} bytes released before the cut")]
    private static partial void LogStreamCut(ILogger logger, string policyId, int choice, long bytes);

    [LoggerMessage(EventId = GatewayEventIds.UpstreamStreamBroke, Level = LogLevel.Warning, Message = "The backend's stream ended abnormally ({Outcome}): {Detail}")]
    private static partial void LogUpstreamBroke(ILogger logger, StreamModerationOutcome outcome, string detail);
}
