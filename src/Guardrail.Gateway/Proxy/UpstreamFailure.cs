using Yarp.ReverseProxy.Forwarder;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// A forwarding failure the gateway detected itself, while it read the backend's body in a response transform
/// (where YARP does not look). Set as YARP's own error feature, so that <see cref="ProxyErrorMiddleware"/> reports and
/// answers it like any failure YARP found: one place decides what a client sees when a backend fails.
/// </summary>
internal sealed record UpstreamFailure(ForwarderError Error, Exception? Exception) : IForwarderErrorFeature
{
    public static void Set(HttpContext context, ForwarderError error, Exception? exception) =>
        context.Features.Set<IForwarderErrorFeature>(new UpstreamFailure(error, exception));
}
