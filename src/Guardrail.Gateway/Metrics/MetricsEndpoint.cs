using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Errors;
using Prometheus;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// <c>GET /metrics</c>, written by prometheus-net from the gateway's registry (Prometheus text, or OpenMetrics when the
/// scraper asks for it). Reachable either only through the management listener (<c>Guardrail:Metrics:ManagementUrl</c>,
/// no key, for a scraper on a private network), or on the main listener with an admin key. Client gateway keys never
/// open it: metrics describe every tenant's traffic.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IEndpointRouteBuilder MapGuardrailMetrics(this IEndpointRouteBuilder endpoints, MetricsOptions options)
    {
        if (!options.Enabled)
        {
            return endpoints;
        }

        var managementPort = options.ManagementPort;
        var exporter = endpoints.CreateApplicationBuilder()
            .Use(next => context =>
            {
                if (managementPort is { } port)
                {
                    // The socket's local port, not the Host header: a client cannot choose which listener it reached.
                    if (context.Connection.LocalPort != port)
                    {
                        return OpenAIError.WriteAsync(context, StatusCodes.Status404NotFound, $"No route matches GET {Path}.", OpenAIError.InvalidRequest, "unknown_url");
                    }
                }
                else if (!context.RequestServices.GetRequiredService<AdminKeyStore>().IsAdmin(context.Request.Headers.Authorization))
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    return OpenAIError.WriteAsync(context, StatusCodes.Status401Unauthorized, "Metrics need an admin key (Guardrail:Auth:AdminKeys).", OpenAIError.InvalidRequest, "invalid_api_key");
                }

                context.Response.Headers.CacheControl = "no-store";
                return next(context);
            })
            .UseMiddleware<MetricServerMiddleware>(new MetricServerMiddleware.Settings { Registry = endpoints.ServiceProvider.GetRequiredService<CollectorRegistry>() })
            .Build();
        endpoints.MapGet(Path, exporter).WithMetadata(new GatewayRouteName("metrics"));
        return endpoints;
    }
}
