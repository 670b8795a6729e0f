using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.Json;
using Guardrail.Conversations;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Metrics;
using Guardrail.Gateway.Proxy;
using Guardrail.Gateway.Tracing;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Policies;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// <c>POST /v1/moderations</c> in OpenAI's moderation shape, answered by Llama Guard under the caller's policy.
/// <c>flagged</c> is true when the policy flags or blocks; Llama Guard gives one unsafe probability, so every
/// OpenAI category the verdict's codes map to gets that score and the others 0. The <c>guardrail</c> object of each
/// result keeps the S-codes, names, probability and decision id; <c>x-guardrail-decision-id</c> lists every result's
/// decision id in input order. Needs a client key (the <c>client</c> policy, as the model routes).
/// </summary>
internal static class ModerationsEndpoint
{
    public const string Path = "/v1/moderations";
    public const string RouteName = "moderations";
    public const int MaxInputs = 64;
    public const string DefaultModel = "llama-guard-3";

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapGuardrailModerations(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, HandleAsync).RequireAuthorization(GatewayAuthorization.ClientPolicy).WithMetadata(new GatewayRouteName(RouteName));
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, RequestBodyReader bodies, ModerationPipeline pipeline, PolicyStore policies)
    {
        if (await bodies.ReadAsync(context) is not { } body)
        {
            return;
        }

        var (model, inputs, error) = OpenAIRequestParser.ParseModerationInput(body, DefaultModel, MaxInputs);
        if (error is not null)
        {
            await OpenAIError.WriteAsync(context, StatusCodes.Status400BadRequest, error.Message, OpenAIError.InvalidRequest, error.Code, error.Param);
            return;
        }

        var caller = context.GetCaller();
        var snapshot = policies.Current;
        var policy = snapshot.Resolve(caller.Tenant, model, RouteName);
        var shadow = snapshot.ShadowOf(policy);
        var moderation = new ModerationContext(caller.Tenant, caller.KeyId, RouteName, model, context.TraceIdentifier) { TraceId = RequestTracing.TraceId(context) };

        // Every input is submitted at once, so the classifier engine decodes them together in its batches.
        var outcomes = await Task.WhenAll(inputs!.Select(input => pipeline.CheckAsync(
            new ConversationBuilder().AddUser(input).Build(), CheckDirection.Prompt, policy, shadow, moderation, context.RequestAborted).AsTask()));

        if (outcomes.FirstOrDefault(static o => o.Unavailable) is { } unavailable)
        {
            // A verdict the gateway could not reach or record is not an answer: fail closed as the model routes do.
            context.Response.Headers[ModerationMiddleware.DecisionIdHeader] = unavailable.DecisionId;
            await ModerationResponses.WriteUnavailableAsync(context, unavailable);
            return;
        }

        var results = new JsonArray();
        foreach (var outcome in outcomes)
        {
            results.Add(Result(outcome));
        }

        var response = new JsonObject
        {
            ["id"] = "modr-" + context.TraceIdentifier.Replace(':', '-'),
            ["model"] = model,
            ["results"] = results,
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(response, JsonOptions);

        // One decision per input, in input order, as each result's guardrail.decision_id also says.
        context.Response.Headers[ModerationMiddleware.DecisionIdHeader] = string.Join(", ", outcomes.Select(static o => o.DecisionId));
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static JsonObject Result(ModerationOutcome outcome)
    {
        var decision = outcome.Decision;
        var flagged = decision.Action != ModerationAction.Allow && !decision.ClassifierFailed;
        var hit = new HashSet<string>(decision.Categories.SelectMany(c => OpenAIModerationCategories.For(c.Code)), StringComparer.Ordinal);
        var categories = new JsonObject();
        var scores = new JsonObject();
        foreach (var name in OpenAIModerationCategories.All)
        {
            categories[name] = flagged && hit.Contains(name);
            scores[name] = hit.Contains(name) ? outcome.Verdict.UnsafeProbability ?? 0 : 0;
        }

        return new JsonObject
        {
            ["flagged"] = flagged,
            ["categories"] = categories,
            ["category_scores"] = scores,
            ["guardrail"] = GuardrailResponseObject.Create(outcome),
        };
    }
}
