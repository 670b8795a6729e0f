using Yarp.ReverseProxy.Configuration;

namespace Guardrail.Gateway.Configuration;

/// <summary>The route and cluster used when no <c>ReverseProxy</c> section is configured.</summary>
internal static class DefaultProxyConfiguration
{
    public const string DefaultBackendAddress = "http://127.0.0.1:8080";
    public const string RouteId = "openai";
    public const string ClusterId = "default";
    public const string PathPattern = "/v1/{**path}";

    public const string ChatRouteId = "chat";
    public const string CompletionsRouteId = "completions";

    /// <summary>
    /// Chat and legacy completions are moderated (secure by default); everything else under <c>/v1</c> (models,
    /// embeddings) passes through.
    /// </summary>
    public static IReadOnlyList<RouteConfig> Routes { get; } =
    [
        new RouteConfig
        {
            RouteId = ChatRouteId,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = "/v1/chat/completions" },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [Moderation.ModeratedRoute.ApiKey] = Moderation.ModeratedRoute.ChatApi },
        },
        new RouteConfig
        {
            RouteId = CompletionsRouteId,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = "/v1/completions" },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [Moderation.ModeratedRoute.ApiKey] = Moderation.ModeratedRoute.CompletionsApi },
        },
        new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = PathPattern },
        },
    ];

    public static IReadOnlyList<ClusterConfig> Clusters(string backendAddress) =>
    [
        new ClusterConfig
        {
            ClusterId = ClusterId,
            Destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase)
            {
                ["backend"] = new DestinationConfig { Address = backendAddress },
            },
        },
    ];
}
