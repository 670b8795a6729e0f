using System.Collections.Concurrent;
using Guardrail.Gateway.Configuration;
using Polly;
using Yarp.ReverseProxy.Forwarder;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// YARP's per-cluster HTTP client with the gateway's connect timeout and <see cref="UpstreamResilienceHandler"/>.
/// The pipeline (and so the breaker's state) belongs to the cluster id and survives configuration reloads.
/// </summary>
internal sealed class ResilientForwarderHttpClientFactory : ForwarderHttpClientFactory
{
    private readonly UpstreamResilienceSettings _settings;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ResiliencePipeline> _pipelines = new(StringComparer.OrdinalIgnoreCase);

    public ResilientForwarderHttpClientFactory(GuardrailOptions options, TimeProvider time, ILogger<ForwarderHttpClientFactory> logger)
        : base(logger)
    {
        _settings = options.Upstream;
        _time = time;
    }

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = _settings.ConnectTimeout;
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        var inner = base.WrapHandler(context, handler);
        var pipeline = _pipelines.GetOrAdd(context.ClusterId, _ => UpstreamResilienceHandler.CreatePipeline(_settings, _time));
        return new UpstreamResilienceHandler(pipeline, inner);
    }
}
