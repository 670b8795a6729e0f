using Guardrail.OpenAI;
using Yarp.ReverseProxy.Configuration;

namespace Guardrail.Gateway.Moderation;

/// <summary>
/// How a YARP route opts into moderation: route metadata <c>Guardrail.Api</c> (<c>openai.chat</c>,
/// <c>openai.completions</c> or <c>openai.responses</c>) and, optionally, <c>Guardrail.Policy</c> (a policy id that wins over resolution by
/// tenant and model). Routes without <c>Guardrail.Api</c> pass through untouched.
/// </summary>
internal static class ModeratedRoute
{
    public const string ApiKey = "Guardrail.Api";
    public const string PolicyKey = "Guardrail.Policy";
    public const string ChatApi = "openai.chat";
    public const string CompletionsApi = "openai.completions";
    public const string ResponsesApi = "openai.responses";

    public static bool TryGetApi(RouteConfig route, out OpenAIApi api, out string? explicitPolicy)
    {
        api = default;
        explicitPolicy = null;
        if (route.Metadata is null || !route.Metadata.TryGetValue(ApiKey, out var name))
        {
            return false;
        }

        route.Metadata.TryGetValue(PolicyKey, out explicitPolicy);
        return TryParseApi(name, out api);
    }

    public static bool TryParseApi(string? name, out OpenAIApi api)
    {
        switch (name)
        {
            case ChatApi:
                api = OpenAIApi.ChatCompletions;
                return true;
            case CompletionsApi:
                api = OpenAIApi.Completions;
                return true;
            case ResponsesApi:
                api = OpenAIApi.Responses;
                return true;
            default:
                api = default;
                return false;
        }
    }
}
