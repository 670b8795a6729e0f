using Yarp.ReverseProxy.Configuration;

// Usage: Guardrail.BareYarp BACKEND_URL (listen address from --urls). One route, one cluster, one destination.
if (args.Length < 1 || !Uri.TryCreate(args[0], UriKind.Absolute, out var backend))
{
    Console.Error.WriteLine("usage: Guardrail.BareYarp BACKEND_URL [--urls http://127.0.0.1:PORT]");
    return 2;
}

var builder = WebApplication.CreateBuilder(args[1..]);
builder.Logging.ClearProviders();
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "backend", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "backend", Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal) { ["main"] = new() { Address = backend.ToString() } } }]);

var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync();
return 0;
