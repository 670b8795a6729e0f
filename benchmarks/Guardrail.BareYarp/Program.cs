using Yarp.ReverseProxy.Configuration;

// Usage: Guardrail.BareYarp BACKEND_URL (listen address from --urls). One route, one cluster, one destination.
// --BareYarp:BackendH2c=true speaks HTTP/2 with prior knowledge to the backend (YARP's HttpRequest: Version 2, exact),
// for benchmarks/proxy.sh --h2; its listeners are Kestrel's own configuration (--Kestrel:Endpoints:NAME:Protocols=Http2).
if (args.Length < 1 || !Uri.TryCreate(args[0], UriKind.Absolute, out var backend))
{
    Console.Error.WriteLine("usage: Guardrail.BareYarp BACKEND_URL [--urls http://127.0.0.1:PORT]");
    return 2;
}

var builder = WebApplication.CreateBuilder(args[1..]);
builder.Logging.ClearProviders();
var backendRequest = builder.Configuration.GetValue<bool>("BareYarp:BackendH2c")
    ? new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }
    : null;
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "backend", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "backend", HttpRequest = backendRequest, Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal) { ["main"] = new() { Address = backend.ToString() } } }]);

var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync();
return 0;
