using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guardrail.Conversations;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Metrics;
using Guardrail.Moderation;
using Guardrail.OpenAI;
using Guardrail.Policies;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// <c>POST /v1/moderations</c> in OpenAI's moderation shape, answered by Llama Guard under the caller's policy.
/// <c>flagged</c> is true when the policy flags or blocks; Llama Guard gives one unsafe probability, so every
/// OpenAI category the verdict's codes map to gets that score and the others 0. The <c>guardrail</c> object of each
/// result keeps the S-codes, names, probability and decision id.
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
        endpoints.MapPost(Path, HandleAsync).WithMetadata(new GatewayRouteName(RouteName));
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, GatewayKeyStore keys, GatewayAuthenticationSettings auth, GatewayMetrics metrics, ModerationPipeline pipeline, PolicyStore policies)
    {
        var authorization = context.Request.Headers.Authorization;
        GatewayCaller? caller = null;
        if (authorization.Count == 0 ? !auth.AllowAnonymous : !keys.TryAuthenticate(authorization, out caller))
        {
            metrics.AuthenticationFailed(authorization.Count == 0 ? "missing_key" : "invalid_key");
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await OpenAIError.WriteAsync(context, StatusCodes.Status401Unauthorized, "Incorrect or missing API key. Send your gateway key as 'Authorization: Bearer <key>'.", OpenAIError.InvalidRequest, "invalid_api_key");
            return;
        }

        caller ??= GatewayCaller.Anonymous;
        using var buffer = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await OpenAIError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "The request body is larger than this gateway accepts.", OpenAIError.InvalidRequest, "request_too_large");
            return;
        }

        var (model, inputs, error) = OpenAIRequestParser.ParseModerationInput(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), DefaultModel, MaxInputs);
        if (error is not null)
        {
            await OpenAIError.WriteAsync(context, StatusCodes.Status400BadRequest, error.Message, OpenAIError.InvalidRequest, error.Code, error.Param);
            return;
        }

        var snapshot = policies.Current;
        var policy = snapshot.Resolve(caller.Tenant, model, RouteName);
        var shadow = snapshot.ShadowOf(policy);
        var moderation = new ModerationContext(caller.Tenant, caller.KeyId, RouteName, model, context.TraceIdentifier);
        var results = new JsonArray();
        foreach (var input in inputs!)
        {
            var conversation = new ConversationBuilder().AddUser(input).Build();
            var outcome = await pipeline.CheckAsync(conversation, CheckDirection.Prompt, policy, shadow, moderation, context.RequestAborted);
            results.Add(Result(outcome));
        }

        var body = new JsonObject
        {
            ["id"] = "modr-" + context.TraceIdentifier.Replace(':', '-'),
            ["model"] = model,
            ["results"] = results,
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, JsonOptions);
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
