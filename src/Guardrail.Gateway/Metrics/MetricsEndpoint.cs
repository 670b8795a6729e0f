using System.Text;
using Guardrail.Gateway.Authentication;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Errors;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format. Reachable either only through the management listener
/// (<c>Guardrail:Metrics:ManagementUrl</c>, no key, for a scraper on a private network), or on the main listener
/// with an admin key. Client gateway keys never open it: metrics describe every tenant's traffic.
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
        endpoints.MapGet(Path, (HttpContext context, MetricsRegistry registry) =>
        {
            if (managementPort is { } port && context.Connection.LocalPort != port)
            {
                // With a management listener the main one does not serve metrics at all.
                return OpenAIError.WriteNotFoundAsync(context);
            }

            var text = new StringBuilder(16 * 1024);
            PrometheusTextFormatter.Write(text, registry.Collect());
            context.Response.ContentType = PrometheusTextFormatter.ContentType;
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsync(text.ToString(), context.RequestAborted);
        }).RequireAuthorization(GatewayAuthorization.MetricsPolicy).WithMetadata(new GatewayRouteName("metrics"));
        return endpoints;
    }
}
