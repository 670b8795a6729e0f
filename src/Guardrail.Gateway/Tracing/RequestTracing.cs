using System.Diagnostics;
using Guardrail.OpenAI;
using Guardrail.Tracing;
using Microsoft.AspNetCore.Http.Features;

namespace Guardrail.Gateway.Tracing;

/// <summary>
/// What the gateway adds to the request's server span (ASP.NET Core's, with its <c>http.*</c> attributes): the
/// <c>gen_ai.*</c> operation, model and token counts, who asked, and a cut stream as an event. Nothing is added when
/// tracing is off (no listener on <see cref="GuardrailTracing.Source"/>), even though ASP.NET Core still makes an
/// activity for its log scopes.
/// </summary>
internal static class RequestTracing
{
    /// <summary>The request's trace id (32 hex), for its audit records; null when the request has no W3C activity.</summary>
    public static string? TraceId(HttpContext context) => GuardrailTracing.TraceIdOf(context.Features.Get<IHttpActivityFeature>()?.Activity ?? Activity.Current);

    /// <summary>The parsed request: its OpenAI operation and the model it names.</summary>
    public static void TagRequest(HttpContext context, OpenAIRequest request)
    {
        if (ServerSpan(context) is { } span)
        {
            span.SetTag(GuardrailTracing.GenAiOperationAttribute, request.Api == OpenAIApi.Completions ? "text_completion" : "chat");
            span.SetTag(GuardrailTracing.GenAiRequestModelAttribute, request.Model);
        }
    }

    /// <summary>The backend's token counts, when its answer reports them.</summary>
    public static void TagUsage(HttpContext context, ResponseUsage usage)
    {
        if (ServerSpan(context) is not { } span)
        {
            return;
        }

        if (usage.PromptTokens is { } input)
        {
            span.SetTag(GuardrailTracing.GenAiInputTokensAttribute, input);
        }

        if (usage.CompletionTokens is { } output)
        {
            span.SetTag(GuardrailTracing.GenAiOutputTokensAttribute, output);
        }
    }

    /// <summary>A moderated stream was cut: which choice blocked and how many bytes had reached the client.</summary>
    public static void StreamCut(HttpContext context, int choice, long releasedBytes) =>
        ServerSpan(context)?.AddEvent(new ActivityEvent(GuardrailTracing.StreamCutEvent, tags: new ActivityTagsCollection
        {
            [GuardrailTracing.StreamChoiceAttribute] = choice,
            [GuardrailTracing.StreamReleasedBytesAttribute] = releasedBytes,
        }));

    private static Activity? ServerSpan(HttpContext context) =>
        GuardrailTracing.Source.HasListeners() && context.Features.Get<IHttpActivityFeature>()?.Activity is { IsAllDataRequested: true, Recorded: true } span
            ? span
            : null;
}
