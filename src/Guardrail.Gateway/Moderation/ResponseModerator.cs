using Guardrail.Conversations;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Limits;
using Guardrail.Gateway.Proxy;
using Guardrail.Gateway.Tracing;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// Steps 7 and 8, as the one owner of a moderated response's body: a YARP response transform (see
/// <see cref="ResponseModerationTransformProvider"/>) that runs once the backend's status and headers have arrived
/// and been copied, takes the backend's body from YARP (<see cref="ResponseTransformContext.SuppressResponseBody"/>),
/// and alone decides what the client's body is. Errors and other non-2xx answers are left to YARP to copy unchanged;
/// a JSON completion is held (bounded), every choice checked, and blocked choices replaced by the refusal; a
/// server-sent-event stream goes through <see cref="StreamResponseModerator"/>. Nothing has been sent to the client
/// when this starts, so a refusal replaces the backend's headers outright.
/// </summary>
/// <remarks>
/// A backend that fails or falls silent while its body is read is reported as YARP's own error feature
/// (<see cref="UpstreamFailure"/>), and <see cref="ProxyErrorMiddleware"/> answers it (502, or an aborted
/// response once bytes have left) as it answers every forwarding failure.
/// </remarks>
internal sealed partial class ResponseModerator
{
    private static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromSeconds(100);

    private readonly ModerationPipeline _pipeline;
    private readonly StreamResponseModerator _streams;
    private readonly GatewayRateLimiter _limiter;
    private readonly TokenCounter _tokens;
    private readonly TimeProvider _time;
    private readonly long _maxBodyBytes;
    private readonly ILogger<ResponseModerator> _logger;

    public ResponseModerator(ModerationPipeline pipeline, StreamResponseModerator streams, GatewayRateLimiter limiter, TokenCounter tokens, GuardrailOptions options, TimeProvider time, ILogger<ResponseModerator> logger)
    {
        _pipeline = pipeline;
        _streams = streams;
        _limiter = limiter;
        _tokens = tokens;
        _time = time;
        _maxBodyBytes = options.Limits.MaxResponseBodyBytes;
        _logger = logger;
    }

    /// <summary>The response transform: takes over the body of a 2xx answer whose policy checks responses.</summary>
    public async ValueTask TransformAsync(ResponseTransformContext transform)
    {
        var context = transform.HttpContext;
        var backend = transform.ProxyResponse;
        if (backend is null || context.Features.Get<ModeratedExchange>() is not { } exchange || !exchange.Policy.CheckResponses
            || context.Response.StatusCode is < 200 or >= 300)
        {
            return;
        }

        // From here on YARP copies nothing more: the body is this component's to read and to write.
        transform.SuppressResponseBody = true;
        var activityTimeout = context.GetReverseProxyFeature().Cluster?.Config.HttpRequest?.ActivityTimeout ?? DefaultActivityTimeout;
        try
        {
            await using var body = new UpstreamBodyStream(
                await backend.Content.ReadAsStreamAsync(context.RequestAborted), activityTimeout, _time, context.RequestAborted);
            var contentHeaders = backend.Content.Headers;
            var mediaType = contentHeaders.ContentType?.MediaType;
            var encoded = contentHeaders.ContentEncoding.Count > 0
                && !contentHeaders.ContentEncoding.All(static e => string.Equals(e, "identity", StringComparison.OrdinalIgnoreCase));
            if (string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase) && !encoded)
            {
                await _streams.RunAsync(context, body, exchange);
                return;
            }

            await CheckCompletionAsync(context, body, contentHeaders.ContentLength, exchange, encoded);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            UpstreamFailure.Set(context, ForwarderError.ResponseBodyCanceled, null);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // Reading the backend failed (or writing to a client that went away, which the error middleware tells apart).
            UpstreamFailure.Set(context, context.RequestAborted.IsCancellationRequested ? ForwarderError.ResponseBodyClient : ForwarderError.ResponseBodyDestination, e);
        }
    }

    private async Task CheckCompletionAsync(HttpContext context, UpstreamBodyStream backend, long? contentLength, ModeratedExchange exchange, bool encoded)
    {
        var (request, policy, shadow, moderation) = (exchange.Request, exchange.Policy, exchange.Shadow, exchange.Moderation);
        using var body = new PooledBodyBuffer(contentLength is { } length && length <= _maxBodyBytes ? length : null);
        var complete = await ReadBoundedAsync(backend, body, _maxBodyBytes, context.RequestAborted);
        var choices = complete && !encoded ? OpenAIResponseReader.ReadChoices(body.WrittenMemory, request.Api) : null;
        if (choices is null)
        {
            var reason = encoded ? "The backend's response is compressed and cannot be checked."
                : !complete ? "The backend's response is larger than the gateway checks (Guardrail:Limits:MaxResponseBodyBytes)."
                : "The backend's response is not a completion the gateway can read.";
            var outcome = await _pipeline.RecordUncheckableAsync(request.Conversations[0], CheckDirection.Response, policy, moderation, reason, context.RequestAborted);
            LogUncheckable(_logger, outcome.DecisionId, reason);
            if (outcome.Blocked)
            {
                ReplaceBackendHeaders(context, outcome.DecisionId);
                await ModerationResponses.WriteUnavailableAsync(context, outcome);
                return;
            }

            // Fails open by policy: the bytes go through as the backend sent them.
            await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
            await backend.CopyToAsync(context.Response.Body, context.RequestAborted);
            return;
        }

        // Generated tokens cost the budget whatever the check decides: the backend has spent them.
        var usage = OpenAIResponseReader.ReadUsage(body.WrittenMemory);
        RequestTracing.TagUsage(context, usage);
        if (context.Features.Get<RateLimitAdmission>() is { LimitsTokens: true } limits)
        {
            var generated = usage.CompletionTokens ?? choices.Sum(choice => _tokens.Count(choice.Text ?? string.Empty));
            await _limiter.ChargeCompletionAsync(limits, generated, context.RequestAborted);
        }

        var blocked = new Dictionary<int, ModerationOutcome>();
        foreach (var choice in choices)
        {
            var conversation = ConversationFor(request, choice.Index).Append(ConversationTurn.Assistant(choice.Text, choice.ToolCalls));
            var outcome = await _pipeline.CheckAsync(conversation, CheckDirection.Response, policy, shadow, moderation, context.RequestAborted);
            if (outcome.Blocked)
            {
                blocked[choice.Index] = outcome;
            }
        }

        if (blocked.Count == 0)
        {
            await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
            return;
        }

        var first = blocked.OrderBy(static b => b.Key).First().Value;
        var failed = blocked.Values.FirstOrDefault(static o => o.Unavailable);
        if (failed is not null)
        {
            ReplaceBackendHeaders(context, failed.DecisionId);
            await ModerationResponses.WriteUnavailableAsync(context, failed);
            return;
        }

        LogResponseBlocked(_logger, first.DecisionId, policy.Id, blocked.Count);
        var rewritten = request.Api == OpenAIApi.Responses
            ? ModerationResponses.RewriteBlockedResponse(body.WrittenSpan, first, policy.RefusalText)
            : ModerationResponses.RewriteBlockedChoices(body.WrittenSpan, blocked, policy.RefusalText);
        context.Response.Headers[ModerationMiddleware.DecisionIdHeader] = first.DecisionId;
        context.Response.ContentLength = rewritten.Length;
        await context.Response.Body.WriteAsync(rewritten, context.RequestAborted);
    }

    /// <summary>The conversation a choice answers: for legacy completions with several prompts, choice i answers prompt i / n.</summary>
    internal static Conversation ConversationFor(OpenAIRequest request, int choiceIndex)
    {
        var prompt = request.Conversations.Count == 1 ? 0 : Math.Clamp(choiceIndex / Math.Max(1, request.ChoiceCount), 0, request.Conversations.Count - 1);
        return request.Conversations[prompt];
    }

    /// <summary>
    /// The gateway answers in place of the backend: none of the backend's headers (its length, type, caching) belong to
    /// the gateway's body. The decision id names the response decision that replaced it (see README, "What clients see").
    /// </summary>
    private static void ReplaceBackendHeaders(HttpContext context, string decisionId)
    {
        context.Response.Headers.Clear();
        context.Response.Headers[ModerationMiddleware.DecisionIdHeader] = decisionId;
    }

    /// <summary>Reads the backend's body into <paramref name="body"/>; false when it passed <paramref name="limit"/> first.</summary>
    private static async Task<bool> ReadBoundedAsync(Stream backend, PooledBodyBuffer body, long limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await backend.ReadAsync(body.GetMemory(), cancellationToken);
            if (read == 0)
            {
                return true;
            }

            body.Advance(read);
            if (body.WrittenCount > limit)
            {
                return false;
            }
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.ResponseBlocked, Level = LogLevel.Information, Message = "Response blocked: decision {DecisionId}, policy {PolicyId}, {Choices} choice(s)")]
    private static partial void LogResponseBlocked(ILogger logger, string decisionId, string policyId, int choices);

    [LoggerMessage(EventId = GatewayEventIds.ResponseUncheckable, Level = LogLevel.Warning, Message = "Response could not be checked: decision {DecisionId}: {Reason}")]
    private static partial void LogUncheckable(ILogger logger, string decisionId, string reason);
}
