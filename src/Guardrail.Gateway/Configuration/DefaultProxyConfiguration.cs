using Yarp.ReverseProxy.Configuration;

namespace Guardrail.Gateway.Configuration;

/// <summary>
/// The routes and clusters the gateway brings itself: the default routes, used when no <c>ReverseProxy</c> section is
/// configured, and cluster <c>local</c>, the built-in backend, whenever <c>Guardrail:LocalBackend:ModelPath</c> is set.
/// </summary>
internal static class DefaultProxyConfiguration
{
    public const string DefaultBackendAddress = "http://127.0.0.1:8080";
    public const string RouteId = "openai";
    public const string ClusterId = "default";
    public const string PathPattern = "/v1/{**path}";

    public const string ChatRouteId = "chat";
    public const string CompletionsRouteId = "completions";
    public const string ResponsesRouteId = "responses";

    /// <summary>The built-in backend's cluster; routes of a <c>ReverseProxy</c> section may name it too.</summary>
    public const string LocalClusterId = "local";

    private const string LocalDestinationId = "built-in";

    /// <summary>
    /// Chat, legacy completions and the Responses API are moderated (secure by default); everything else under
    /// <c>/v1</c> (models, embeddings) passes through. All four go to <paramref name="clusterId"/>.
    /// </summary>
    public static IReadOnlyList<RouteConfig> Routes(string clusterId) =>
    [
        new RouteConfig
        {
            RouteId = ChatRouteId,
            ClusterId = clusterId,
            Match = new RouteMatch { Path = "/v1/chat/completions" },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [Moderation.ModeratedRoute.ApiKey] = Moderation.ModeratedRoute.ChatApi },
        },
        new RouteConfig
        {
            RouteId = CompletionsRouteId,
            ClusterId = clusterId,
            Match = new RouteMatch { Path = "/v1/completions" },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [Moderation.ModeratedRoute.ApiKey] = Moderation.ModeratedRoute.CompletionsApi },
        },
        new RouteConfig
        {
            RouteId = ResponsesRouteId,
            ClusterId = clusterId,
            Match = new RouteMatch { Path = "/v1/responses" },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [Moderation.ModeratedRoute.ApiKey] = Moderation.ModeratedRoute.ResponsesApi },
        },
        new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = clusterId,
            Match = new RouteMatch { Path = PathPattern },
        },
    ];

    public static ClusterConfig Cluster(string backendAddress) => new()
    {
        ClusterId = ClusterId,
        Destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase)
        {
            ["backend"] = new DestinationConfig { Address = backendAddress },
        },
    };

    /// <summary>
    /// The built-in backend's cluster: no destination while its model loads (YARP answers 503, which the gateway writes
    /// as <c>upstream_unavailable</c>), then the internal listener's address.
    /// </summary>
    public static ClusterConfig LocalCluster(Uri? address) => new()
    {
        ClusterId = LocalClusterId,
        Destinations = address is null
            ? new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase)
            {
                [LocalDestinationId] = new DestinationConfig { Address = address.ToString() },
            },
    };
}
