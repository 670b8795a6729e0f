using System.Net;
using System.Net.Sockets;

namespace Guardrail.Gateway.Tests.Infrastructure;

internal static class FreePort
{
    /// <summary>A loopback port that was free a moment ago: for listeners that must be configured with a fixed port.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
