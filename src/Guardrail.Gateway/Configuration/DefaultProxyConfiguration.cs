using Yarp.ReverseProxy.Configuration;

namespace Guardrail.Gateway.Configuration;

/// <summary>The route and cluster used when no <c>ReverseProxy</c> section is configured.</summary>
internal static class DefaultProxyConfiguration
{
    public const string DefaultBackendAddress = "http://127.0.0.1:8080";
    public const string RouteId = "openai";
    public const string ClusterId = "default";
    public const string PathPattern = "/v1/{**path}";

    public static IReadOnlyList<RouteConfig> Routes { get; } =
    [
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
