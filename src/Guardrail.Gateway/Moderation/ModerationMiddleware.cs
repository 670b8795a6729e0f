using Guardrail.Conversations;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Limits;
using Guardrail.Gateway.Proxy;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Policies;
using Microsoft.Net.Http.Headers;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// Steps 2 to 6 of the request path for routes that opt in (<see cref="ModeratedRoute"/>): read and parse the body,
/// resolve the policy, check the prompt, and forward the checked bytes, leaving a <see cref="ModeratedExchange"/> for
/// the response side (<see cref="ResponseModerator"/>, steps 7 and 8). Blocked prompts never reach the backend.
/// </summary>
internal sealed partial class ModerationMiddleware
{
    public const string DecisionIdHeader = "x-guardrail-decision-id";

    private readonly RequestDelegate _next;
    private readonly ModerationPipeline _pipeline;
    private readonly PolicyStore _policies;
    private readonly RequestBodyReader _bodies;
    private readonly GatewayRateLimiter _limiter;
    private readonly TokenCounter _tokens;
    private readonly LimitRefusalRecorder _refusals;
    private readonly ILogger<ModerationMiddleware> _logger;

    private readonly int _maxMessages;

    public ModerationMiddleware(RequestDelegate next, ModerationPipeline pipeline, PolicyStore policies, RequestBodyReader bodies, GatewayRateLimiter limiter, TokenCounter tokens, LimitRefusalRecorder refusals, GuardrailOptions options, ILogger<ModerationMiddleware> logger)
    {
        _refusals = refusals;
        _bodies = bodies;
        _limiter = limiter;
        _tokens = tokens;
        _maxMessages = options.Limits.MaxMessages;
        _next = next;
        _pipeline = pipeline;
        _policies = policies;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var route = context.GetReverseProxyFeature().Route.Config;
        return ModeratedRoute.TryGetApi(route, out var api, out var explicitPolicy)
            ? ModerateAsync(context, api, route.RouteId, explicitPolicy)
            : _next(context);
    }

    private async Task ModerateAsync(HttpContext context, OpenAIApi api, string routeId, string? explicitPolicy)
    {
        // Step 2: the whole body, bounded by the request limit, then parsed strictly.
        if (await _bodies.ReadAsync(context) is not { } body)
        {
            return;
        }

        var parsed = OpenAIRequestParser.Parse(body, api, _maxMessages);
        if (parsed.Error is { } error)
        {
            await OpenAIError.WriteAsync(context, StatusCodes.Status400BadRequest, error.Message, OpenAIError.InvalidRequest, error.Code, error.Param);
            return;
        }

        var request = parsed.Request!;

        // The prompt's tokens are charged before anything is checked or forwarded: a blocked prompt costs its prompt.
        if (context.Features.Get<RateLimitAdmission>() is { LimitsTokens: true } limits
            && await _limiter.ChargePromptAsync(limits, _tokens.CountPrompt(request), context.RequestAborted) is { } refusal)
        {
            await _refusals.RefuseAsync(context, refusal, request.Model);
            return;
        }

        // Step 3: the policy (it may depend on the model the body names), from one snapshot for the whole request even if
        // files change meanwhile.
        var snapshot = _policies.Current;
        var caller = context.GetCaller();
        var policy = snapshot.Resolve(caller.Tenant, request.Model, routeId, explicitPolicy);
        var shadow = snapshot.ShadowOf(policy);
        var moderation = new ModerationContext(caller.Tenant, caller.KeyId, routeId, request.Model, context.TraceIdentifier);

        // Steps 4 and 5: every prompt of the request; the first block decides.
        ModerationOutcome? promptOutcome = null;
        if (policy.CheckPrompts)
        {
            foreach (var conversation in request.Conversations.SelectMany(PromptChecks))
            {
                var outcome = await _pipeline.CheckAsync(conversation.Conversation, conversation.Direction, policy, shadow, moderation, context.RequestAborted);
                if (promptOutcome is null || outcome.Blocked)
                {
                    promptOutcome = outcome;
                }

                if (outcome.Blocked)
                {
                    break;
                }
            }
        }

        if (promptOutcome is not null)
        {
            context.Response.Headers[DecisionIdHeader] = promptOutcome.DecisionId;
            if (promptOutcome.Blocked)
            {
                LogPromptBlocked(_logger, promptOutcome.DecisionId, policy.Id, routeId);
                await ModerationResponses.WriteBlockedPromptAsync(context, promptOutcome, request);
                return;
            }
        }

        // Step 6: forward the very bytes that were checked. Compressed answers could not be read, so none are asked for.
        // Steps 7 and 8 happen in ResponseModerator, YARP's response transform for this route, which finds the
        // exchange on the context.
        context.Request.Body = new MemoryStream(body, writable: false);
        context.Request.ContentLength = body.Length;
        context.Request.Headers.Remove(HeaderNames.AcceptEncoding);
        context.Features.Set(new ModeratedExchange(request, policy, shadow, moderation, promptOutcome));
        await _next(context);
    }

    /// <summary>
    /// What the client sent that must be checked before forwarding: the conversation itself, or, when it ends with
    /// an assistant message (a prefill the model continues), the conversation up to the last user turn as a prompt
    /// check and the whole as a response check, so that the client-written assistant text is judged too.
    /// </summary>
    internal static IEnumerable<(Conversation Conversation, CheckDirection Direction)> PromptChecks(Conversation conversation)
    {
        if (conversation.Turns[^1].Role != ConversationRole.Assistant)
        {
            yield return (conversation, CheckDirection.Prompt);
            yield break;
        }

        var lastUser = conversation.Turns.ToList().FindLastIndex(t => t.Role == ConversationRole.User);
        if (lastUser >= 0)
        {
            yield return (new Conversation(conversation.Turns.Take(lastUser + 1), conversation.SystemMessages), CheckDirection.Prompt);
        }

        yield return (conversation, CheckDirection.Response);
    }

    [LoggerMessage(EventId = GatewayEventIds.PromptBlocked, Level = LogLevel.Information, Message = "Prompt blocked: decision {DecisionId}, policy {PolicyId}, route {RouteId}")]
    private static partial void LogPromptBlocked(ILogger logger, string decisionId, string policyId, string routeId);
}
