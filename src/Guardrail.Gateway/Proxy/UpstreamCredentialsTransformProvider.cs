using Guardrail.Gateway.LocalBackend;
using Guardrail.Gateway.Configuration;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// Step 6's credentials: the client's gateway key is removed from every forwarded request, and the cluster's own
/// backend key (<c>Guardrail:Upstreams:&lt;cluster&gt;:ApiKey</c>) is set in its place; the built-in backend's
/// cluster gets the key of this start (<see cref="LocalBackendCredentials"/>).
/// </summary>
internal sealed class UpstreamCredentialsTransformProvider : ITransformProvider
{
    private readonly GuardrailOptions _options;
    private readonly LocalBackendCredentials? _localBackend;

    public UpstreamCredentialsTransformProvider(GuardrailOptions options, LocalBackendCredentials? localBackend = null)
    {
        _options = options;
        _localBackend = localBackend;
    }

    // Upstream credentials are checked with the rest of the configuration by GatewayConfigurationValidator,
    // which can name the Guardrail key at fault; YARP's per-route validation has nothing to add.
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.AddRequestHeaderRemove(HeaderNames.Authorization);

        var clusterId = context.Cluster?.ClusterId ?? context.Route.ClusterId;
        if (_localBackend is not null && string.Equals(clusterId, DefaultProxyConfiguration.LocalClusterId, StringComparison.OrdinalIgnoreCase))
        {
            context.AddRequestHeader(HeaderNames.Authorization, "Bearer " + _localBackend.Key, append: false);
            return;
        }

        if (clusterId is null || !_options.Upstreams.TryGetValue(clusterId, out var upstream) || string.IsNullOrEmpty(upstream.ApiKey))
        {
            return;
        }

        var isAuthorization = string.Equals(upstream.ApiKeyHeader, HeaderNames.Authorization, StringComparison.OrdinalIgnoreCase);
        var value = isAuthorization ? "Bearer " + upstream.ApiKey : upstream.ApiKey;
        context.AddRequestHeader(upstream.ApiKeyHeader, value, append: false);
    }
}
