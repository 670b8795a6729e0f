using System.IO.Pipelines;
using Guardrail.Conversations;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Policies;

namespace Guardrail.Gateway.Moderation;

/// <summary>Step 7 for server-sent-event responses.</summary>
internal sealed class StreamResponseModerator
{
    private readonly ModerationPipeline _pipeline;

    public StreamResponseModerator(ModerationPipeline pipeline) => _pipeline = pipeline;

    public async Task RunAsync(HttpContext context, PipeReader backend, Stream client, OpenAIRequest request, Policy policy, Policy? shadow, ModerationContext moderation)
    {
        _ = (backend, shadow);
        var outcome = await _pipeline.RecordUncheckableAsync(request.Conversations[0], CheckDirection.Response, policy, moderation, "Streamed responses are not checked yet.", context.RequestAborted);
        context.Response.Headers.Clear();
        context.Response.Body = client;
        await ModerationResponses.WriteClassifierUnavailableAsync(context, outcome);
    }
}
