using System.Net;

namespace Guardrail.Cli.Models;

/// <summary>
/// Which URLs a model may be fetched from: https, or plain http to a loopback address (a local mirror, a test server).
/// A model file is executable input to the gateway's native code, so it never travels unencrypted over a network.
/// </summary>
internal static class TransportPolicy
{
    public static bool IsAllowed(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return string.Equals(url.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase)
            || (string.Equals(url.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase) && IsLoopback(url));
    }

    /// <summary>Whether two URLs have the same origin: scheme, host and port.</summary>
    public static bool SameOrigin(Uri left, Uri right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return string.Equals(left.Scheme, right.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(left.IdnHost, right.IdnHost, StringComparison.OrdinalIgnoreCase)
            && left.Port == right.Port;
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.IdnHost, out var address) && IPAddress.IsLoopback(address));
}
