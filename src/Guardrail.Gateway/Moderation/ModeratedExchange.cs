using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Policies;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// What the prompt side of a moderated request hands to its response side: the parsed request, the policy snapshot's
/// policy and shadow, who asked, and the prompt decision. Set on <see cref="HttpContext.Features"/> by
/// <see cref="ModerationMiddleware"/> before forwarding, read by <see cref="ResponseModerator"/> when the backend
/// answers. Immutable: both sides see the same policy even if the files change meanwhile.
/// </summary>
internal sealed record ModeratedExchange(OpenAIRequest Request, Policy Policy, Policy? Shadow, ModerationContext Moderation, ModerationOutcome? PromptOutcome);
