using Guardrail.Gateway.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Guardrail.Gateway.Hosting;

/// <summary>
/// The one place Kestrel's limits are set, from <c>Guardrail:Limits</c> (validated at start-up): what a hostile or
/// slow client can hold. Headers must arrive within a deadline and a size; bodies and response readers must keep a
/// minimum rate, so a client that trickles or stops reading is disconnected and its request, classifier work
/// included, is cancelled through <c>RequestAborted</c>; HTTP/2 streams per connection, frame size, header field
/// size and the per-stream window bound what one connection can make the gateway buffer.
/// </summary>
internal static class KestrelLimits
{
    public static void Apply(KestrelServerOptions kestrel, LimitsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(limits);
        kestrel.AddServerHeader = false;
        var server = kestrel.Limits;
        server.MaxRequestBodySize = limits.MaxRequestBodyBytes;
        server.RequestHeadersTimeout = limits.RequestHeadersTimeout;
        server.KeepAliveTimeout = limits.KeepAliveTimeout;
        server.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersBytes;
        server.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
        server.MaxRequestLineSize = limits.MaxRequestLineBytes;
        server.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.MinDataRateGracePeriod);
        server.MinResponseDataRate = new MinDataRate(limits.MinResponseBytesPerSecond, limits.MinDataRateGracePeriod);
        server.MaxConcurrentConnections = limits.MaxConcurrentConnections == 0 ? null : limits.MaxConcurrentConnections;
        server.MaxConcurrentUpgradedConnections = server.MaxConcurrentConnections;
        server.Http2.MaxStreamsPerConnection = limits.Http2MaxStreamsPerConnection;
        server.Http2.MaxFrameSize = limits.Http2MaxFrameBytes;
        server.Http2.MaxRequestHeaderFieldSize = limits.Http2MaxHeaderFieldBytes;
        server.Http2.InitialStreamWindowSize = limits.Http2InitialStreamWindowBytes;
        // The connection window must hold at least one stream's.
        server.Http2.InitialConnectionWindowSize = Math.Max(server.Http2.InitialConnectionWindowSize, limits.Http2InitialStreamWindowBytes);
    }
}
