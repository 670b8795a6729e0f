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
                // With a management listener the main one does not serve metrics at all (the socket's local port, not
                // the Host header: a client cannot choose which listener it reached). Who may read them otherwise is the
                // metrics authorization policy's business (an admin key).
                if (managementPort is { } port && context.Connection.LocalPort != port)
                {
                    return OpenAIError.WriteNotFoundAsync(context);
                }

                context.Response.Headers.CacheControl = "no-store";
                return next(context);
            })
            .UseMiddleware<MetricServerMiddleware>(new MetricServerMiddleware.Settings { Registry = endpoints.ServiceProvider.GetRequiredService<CollectorRegistry>() })
            .Build();
        endpoints.MapGet(Path, exporter).RequireAuthorization(GatewayAuthorization.MetricsPolicy).WithMetadata(new GatewayRouteName("metrics"));
        return endpoints;
    }
}
