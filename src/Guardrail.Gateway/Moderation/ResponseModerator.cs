using System.Buffers;
using System.IO.Pipelines;
using Guardrail.Conversations;
using Guardrail.Gateway.Configuration;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Policies;
using Microsoft.Net.Http.Headers;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// Step 7: reads what the backend wrote (through a pipe) and decides what reaches the client. Errors and other
/// non-2xx answers pass through unchanged; a JSON completion is held (bounded), every choice checked, and blocked
/// choices replaced by the refusal; a server-sent-event stream goes through the stream moderator.
/// </summary>
internal sealed partial class ResponseModerator
{
    private readonly ModerationPipeline _pipeline;
    private readonly StreamResponseModerator _streams;
    private readonly long _maxBodyBytes;
    private readonly ILogger<ResponseModerator> _logger;

    public ResponseModerator(ModerationPipeline pipeline, StreamResponseModerator streams, GuardrailOptions options, ILogger<ResponseModerator> logger)
    {
        _pipeline = pipeline;
        _streams = streams;
        _maxBodyBytes = options.Limits.MaxResponseBodyBytes;
        _logger = logger;
    }

    public async Task RunAsync(HttpContext context, PipeReader backend, Stream client, OpenAIRequest request, Policy policy, Policy? shadow, ModerationContext moderation)
    {
        try
        {
            // The first bytes (or the end) mean the status and headers are final.
            var first = await backend.ReadAsync(context.RequestAborted);
            backend.AdvanceTo(first.Buffer.Start);

            var response = context.Response;
            if (response.StatusCode is < 200 or >= 300 || (first.IsCompleted && first.Buffer.IsEmpty))
            {
                await CopyAsync(backend, client, context.RequestAborted);
                return;
            }

            var mediaType = MediaTypeHeaderValue.TryParse(response.ContentType, out var parsed) ? parsed.MediaType.Value : null;
            var encoded = !string.IsNullOrEmpty(response.Headers.ContentEncoding) && !string.Equals(response.Headers.ContentEncoding, "identity", StringComparison.OrdinalIgnoreCase);
            if (string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase) && !encoded)
            {
                await _streams.RunAsync(context, backend, client, request, policy, shadow, moderation);
                return;
            }

            await CheckCompletionAsync(context, backend, client, request, policy, shadow, moderation, encoded);
        }
        finally
        {
            // Completing the reader makes any further write by the forwarder fail, which stops the backend transfer.
            await backend.CompleteAsync();
        }
    }

    private async Task CheckCompletionAsync(HttpContext context, PipeReader backend, Stream client, OpenAIRequest request, Policy policy, Policy? shadow, ModerationContext moderation, bool encoded)
    {
        var (body, complete) = await ReadBoundedAsync(backend, _maxBodyBytes, context.RequestAborted);
        var choices = complete && !encoded ? OpenAIResponseReader.ReadChoices(body) : null;
        if (choices is null)
        {
            var reason = encoded ? "The backend's response is compressed and cannot be checked."
                : !complete ? "The backend's response is larger than the gateway checks (Guardrail:Limits:MaxResponseBodyBytes)."
                : "The backend's response is not a completion the gateway can read.";
            var outcome = await _pipeline.RecordUncheckableAsync(request.Conversations[0], CheckDirection.Response, policy, moderation, reason, context.RequestAborted);
            LogUncheckable(_logger, outcome.DecisionId, reason);
            if (outcome.Blocked)
            {
                await WriteReplacementAsync(context, client, () => ModerationResponses.WriteClassifierUnavailableAsync(context, outcome));
                return;
            }

            // Fails open by policy: the bytes go through as the backend sent them.
            await client.WriteAsync(body, context.RequestAborted);
            await CopyAsync(backend, client, context.RequestAborted);
            return;
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
            await client.WriteAsync(body, context.RequestAborted);
            return;
        }

        var failed = blocked.Values.FirstOrDefault(o => o.Decision.ClassifierFailed);
        if (failed is not null)
        {
            await WriteReplacementAsync(context, client, () => ModerationResponses.WriteClassifierUnavailableAsync(context, failed));
            return;
        }

        LogResponseBlocked(_logger, blocked.Values.First().DecisionId, policy.Id, blocked.Count);
        var rewritten = ModerationResponses.RewriteBlockedChoices(body, blocked, policy.RefusalText);
        context.Response.ContentLength = rewritten.Length;
        await client.WriteAsync(rewritten, context.RequestAborted);
    }

    /// <summary>The conversation a choice answers: for legacy completions with several prompts, choice i answers prompt i / n.</summary>
    internal static Conversation ConversationFor(OpenAIRequest request, int choiceIndex)
    {
        var prompt = request.Conversations.Count == 1 ? 0 : Math.Clamp(choiceIndex / Math.Max(1, request.ChoiceCount), 0, request.Conversations.Count - 1);
        return request.Conversations[prompt];
    }

    private static async Task WriteReplacementAsync(HttpContext context, Stream client, Func<Task> write)
    {
        // The backend's headers are still unsent: drop them and answer with the gateway's own response.
        var decisionId = context.Response.Headers[ModerationMiddleware.DecisionIdHeader];
        context.Response.Headers.Clear();
        context.Response.Headers[ModerationMiddleware.DecisionIdHeader] = decisionId;
        var pipeBody = context.Response.Body;
        context.Response.Body = client;
        try
        {
            await write();
        }
        finally
        {
            context.Response.Body = pipeBody;
        }
    }

    private static async Task<(byte[] Body, bool Complete)> ReadBoundedAsync(PipeReader reader, long limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.Buffer.Length > limit)
            {
                var partial = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return (partial, false);
            }

            if (result.IsCompleted)
            {
                var body = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return (body, true);
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static async Task CopyAsync(PipeReader reader, Stream client, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                await client.WriteAsync(segment, cancellationToken);
            }

            await client.FlushAsync(cancellationToken);
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Response blocked: decision {DecisionId}, policy {PolicyId}, {Choices} choice(s)")]
    private static partial void LogResponseBlocked(ILogger logger, string decisionId, string policyId, int choices);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Response could not be checked: decision {DecisionId}: {Reason}")]
    private static partial void LogUncheckable(ILogger logger, string decisionId, string reason);
}
