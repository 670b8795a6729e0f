using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Errors;
using Guardrail.Gateway.Metrics;
using Yarp.ReverseProxy.Forwarder;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// Turns YARP's bodiless forwarding failures into OpenAI-shaped errors: 502 when the backend cannot be reached or
/// fails mid-request, 504 when it times out, 503 when a cluster has no healthy destination. A client that went
/// away is not an error and gets nothing written.
/// </summary>
internal sealed partial class ProxyErrorMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<ProxyErrorMiddleware> _logger;

    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly long _maxBodyBytes;

    public ProxyErrorMiddleware(RequestDelegate next, GatewayMetrics metrics, TimeProvider time, GuardrailOptions options, ILogger<ProxyErrorMiddleware> logger)
    {
        _maxBodyBytes = options.Limits.MaxRequestBodyBytes;
        _metrics = metrics;
        _time = time;
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var started = _time.GetTimestamp();
        await _next(context);

        var failure = context.GetForwarderErrorFeature();
        var clusterId = context.GetReverseProxyFeature().Cluster?.Config.ClusterId ?? "unknown";
        _metrics.UpstreamCompleted(clusterId, _time.GetElapsedTime(started), failure?.Error ?? ForwarderError.None);
        if (failure is null || failure.Error == ForwarderError.None)
        {
            return;
        }

        if (IsClientGone(failure.Error) || context.RequestAborted.IsCancellationRequested)
        {
            LogClientGone(_logger, failure.Error, clusterId);
            return;
        }

        LogForwardingFailed(_logger, failure.Error, clusterId, failure.Exception?.GetType().Name ?? "none");
        if (context.Response.HasStarted)
        {
            // Part of the backend's response is already on the wire; the only honest signal left is an aborted stream.
            context.Abort();
            return;
        }

        context.Response.Headers.Clear();
        if (failure.Error is ForwarderError.RequestBodyClient or ForwarderError.UpgradeRequestClient && IsBodyTooLarge(failure.Exception))
        {
            await OpenAIError.WritePayloadTooLargeAsync(context, _maxBodyBytes);
            return;
        }

        var (status, message, type, code) = Describe(failure);
        await OpenAIError.WriteAsync(context, status, message, type, code);
    }

    private static bool IsClientGone(ForwarderError error) => error is ForwarderError.RequestCanceled
        or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
        or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeRequestCanceled
        or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient;

    private static (int Status, string Message, string Type, string Code) Describe(IForwarderErrorFeature failure)
    {
        if (failure.Error is ForwarderError.RequestBodyClient or ForwarderError.UpgradeRequestClient)
        {
            return (StatusCodes.Status400BadRequest, "The request body could not be read.", OpenAIError.InvalidRequest, "invalid_request_body");
        }

        return failure.Error switch
        {
            ForwarderError.RequestTimedOut =>
                (StatusCodes.Status504GatewayTimeout, "The model backend did not answer in time.", OpenAIError.UpstreamError, "upstream_timeout"),
            ForwarderError.NoAvailableDestinations =>
                (StatusCodes.Status503ServiceUnavailable, "No model backend is available for this route.", OpenAIError.UpstreamError, "upstream_unavailable"),
            _ =>
                (StatusCodes.Status502BadGateway, "The model backend could not be reached or failed while answering.", OpenAIError.UpstreamError, "upstream_error"),
        };
    }

    private static bool IsBodyTooLarge(Exception? exception)
    {
        // Kestrel's limit surfaces as a BadHttpRequestException, possibly wrapped by the forwarder's stream copy.
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = GatewayEventIds.ForwardingFailed, Level = LogLevel.Warning, Message = "Forwarding to cluster {ClusterId} failed: {Error} ({ExceptionType})")]
    private static partial void LogForwardingFailed(ILogger logger, ForwarderError error, string clusterId, string exceptionType);

    [LoggerMessage(EventId = GatewayEventIds.ClientGoneWhileForwarding, Level = LogLevel.Debug, Message = "Client went away while forwarding to cluster {ClusterId}: {Error}")]
    private static partial void LogClientGone(ILogger logger, ForwarderError error, string clusterId);
}
