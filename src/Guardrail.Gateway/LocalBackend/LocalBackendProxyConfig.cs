using Yarp.ReverseProxy.Configuration;

namespace Guardrail.Gateway.LocalBackend;

/// <summary>
/// The YARP configuration provider that holds cluster <c>local</c> (and, with no <c>ReverseProxy</c> section, the
/// default routes to it), with the routes it must keep when <see cref="LocalBackendHost"/> fills in the address.
/// </summary>
internal sealed record LocalBackendProxyConfig(InMemoryConfigProvider Provider, IReadOnlyList<RouteConfig> Routes);
