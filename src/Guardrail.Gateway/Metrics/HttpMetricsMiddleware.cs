using Yarp.ReverseProxy.Model;

namespace Guardrail.Gateway.Metrics;

/// <summary>Counts and times every request once, labelled with the route that served it.</summary>
internal sealed class HttpMetricsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;

    public HttpMetricsMiddleware(RequestDelegate next, GatewayMetrics metrics, TimeProvider time)
    {
        _next = next;
        _metrics = metrics;
        _time = time;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var started = _time.GetTimestamp();
        try
        {
            await _next(context);
        }
        finally
        {
            _metrics.HttpRequestCompleted(RouteOf(context), context.Request.Method, context.Response.StatusCode, _time.GetElapsedTime(started));
        }
    }

    /// <summary>The YARP route id (from configuration), or the name of the gateway's own endpoint; never the raw path.</summary>
    internal static string RouteOf(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<RouteModel>() is { } route)
        {
            return route.Config.RouteId;
        }

        return endpoint?.Metadata.GetMetadata<GatewayRouteName>()?.Name ?? "unmatched";
    }
}

/// <summary>Endpoint metadata naming one of the gateway's own endpoints for metrics.</summary>
internal sealed record GatewayRouteName(string Name);
