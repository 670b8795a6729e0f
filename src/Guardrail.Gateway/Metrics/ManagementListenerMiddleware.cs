using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Health;

namespace Guardrail.Gateway.Metrics;

/// <summary>
/// The management listener (<c>Guardrail:Metrics:ManagementUrl</c>) is for a scraper and a probe on a private network:
/// it answers <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> and nothing else, so that neither the chat API nor the
/// admin API is reachable there without the keys the main listener asks for. Which listener a request reached is the
/// connection's local port, never the Host header, which the client chooses.
/// </summary>
internal sealed class ManagementListenerMiddleware(RequestDelegate next, int managementPort)
{
    private static readonly string[] Paths = [MetricsEndpoint.Path, HealthEndpoints.LivenessPath, HealthEndpoints.ReadinessPath];

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Connection.LocalPort != managementPort || IsManagementPath(context.Request.Path))
        {
            return next(context);
        }

        return OpenAIError.WriteAsync(
            context,
            StatusCodes.Status404NotFound,
            $"No route matches {context.Request.Method} {context.Request.Path} on the management listener, which serves {string.Join(", ", Paths)} only.",
            OpenAIError.InvalidRequest,
            "unknown_url");
    }

    private static bool IsManagementPath(PathString path)
    {
        foreach (var allowed in Paths)
        {
            if (path.Equals(allowed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
