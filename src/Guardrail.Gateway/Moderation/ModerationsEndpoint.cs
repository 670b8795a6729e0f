using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Guardrail.Conversations;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Metrics;
using Guardrail.Moderation;
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

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapGuardrailModerations(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, HandleAsync).WithMetadata(new GatewayRouteName(RouteName));
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, GatewayKeyStore keys, GatewayAuthenticationSettings auth, ModerationPipeline pipeline, PolicyStore policies)
    {
        if (!Authenticate(context, keys, auth, out var caller))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await OpenAIError.WriteAsync(context, StatusCodes.Status401Unauthorized, "Incorrect or missing API key. Send your gateway key as 'Authorization: Bearer <key>'.", OpenAIError.InvalidRequest, "invalid_api_key");
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (!TryParse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), out var model, out var inputs, out var error))
        {
            await OpenAIError.WriteAsync(context, StatusCodes.Status400BadRequest, error.Message, OpenAIError.InvalidRequest, error.Code, error.Param);
            return;
        }

        var snapshot = policies.Current;
        var policy = snapshot.Resolve(caller.Tenant, model, RouteName);
        var shadow = snapshot.ShadowOf(policy);
        var moderation = new ModerationContext(caller.Tenant, caller.KeyId, RouteName, model, context.TraceIdentifier);
        var results = new JsonArray();
        foreach (var input in inputs)
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

    private static bool Authenticate(HttpContext context, GatewayKeyStore keys, GatewayAuthenticationSettings auth, out GatewayCaller caller)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count == 0)
        {
            caller = GatewayCaller.Anonymous;
            return auth.AllowAnonymous;
        }

        const string bearer = "Bearer ";
        caller = GatewayCaller.Anonymous;
        return header.Count == 1 && header[0] is { } value && value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            && keys.TryAuthenticate(value.AsSpan(bearer.Length).Trim(), out caller!);
    }

    private static bool TryParse(ReadOnlySpan<byte> body, out string model, out List<string> inputs, out Guardrail.OpenAI.OpenAIRequestError error)
    {
        model = "llama-guard-3";
        inputs = [];
        error = null!;
        if (!Utf8.IsValid(body))
        {
            error = new("The request body is not valid UTF-8.", null, Guardrail.OpenAI.OpenAIRequestError.InvalidJson);
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = new("The request body must be a JSON object.", null, Guardrail.OpenAI.OpenAIRequestError.InvalidType);
                return false;
            }

            if (root.TryGetProperty("model", out var modelElement) && modelElement.ValueKind == JsonValueKind.String)
            {
                model = modelElement.GetString()!;
            }

            if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
            {
                error = new("Missing required parameter: 'input'.", "input", Guardrail.OpenAI.OpenAIRequestError.MissingField);
                return false;
            }

            if (input.ValueKind == JsonValueKind.String)
            {
                inputs.Add(input.GetString()!);
                return true;
            }

            if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() is 0 or > MaxInputs)
            {
                error = new($"'input' must be a string or an array of 1 to {MaxInputs} strings or text parts.", "input", Guardrail.OpenAI.OpenAIRequestError.InvalidValue);
                return false;
            }

            var index = 0;
            foreach (var item in input.EnumerateArray())
            {
                var path = $"input[{index++}]";
                if (item.ValueKind == JsonValueKind.String)
                {
                    inputs.Add(item.GetString()!);
                }
                else if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                    && string.Equals(type.GetString(), "text", StringComparison.Ordinal) && item.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    inputs.Add(text.GetString()!);
                }
                else
                {
                    // Images cannot be read by a text classifier; saying so beats answering "not flagged" for them.
                    error = new($"'{path}' is not text: this gateway's classifier moderates text only.", path, Guardrail.OpenAI.OpenAIRequestError.InvalidValue);
                    return false;
                }
            }

            return true;
        }
        catch (JsonException e)
        {
            error = new($"The request body is not valid JSON: {e.Message}", null, Guardrail.OpenAI.OpenAIRequestError.InvalidJson);
            return false;
        }
    }
}
