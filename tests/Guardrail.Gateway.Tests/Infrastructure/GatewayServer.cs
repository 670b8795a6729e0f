using System.Net.Http.Headers;
using Guardrail.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Guardrail.Gateway.Tests.Infrastructure;

/// <summary>The real gateway pipeline on real Kestrel, bound to a free loopback port.</summary>
internal sealed class GatewayServer : IAsyncDisposable
{
    public const string ClientKey = "gk-team-a-0123456789abcdef";
    public const string BackendKey = "sk-backend-fedcba9876543210";
    public const string AdminKey = "admin-key-for-tests-0000001";

    private readonly WebApplication _app;
    private readonly DirectoryInfo _data;

    private GatewayServer(WebApplication app, Uri baseAddress, DirectoryInfo data)
    {
        _app = app;
        BaseAddress = baseAddress;
        _data = data;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Configuration of one route <c>/v1/**</c> to <paramref name="backend"/>, with one client key and a backend key.</summary>
    public static Dictionary<string, string?> ConfigurationFor(Uri backend) => new()
    {
        ["ReverseProxy:Routes:openai:ClusterId"] = "llm",
        ["ReverseProxy:Routes:openai:Match:Path"] = "/v1/{**path}",
        ["ReverseProxy:Clusters:llm:Destinations:main:Address"] = backend.ToString(),
        ["Guardrail:Auth:Keys:0:Id"] = "team-a-key",
        ["Guardrail:Auth:Keys:0:Tenant"] = "team-a",
        ["Guardrail:Auth:Keys:0:Key"] = ClientKey,
        ["Guardrail:Upstreams:llm:ApiKey"] = BackendKey,
        ["Guardrail:Auth:AdminKeys:0:Id"] = "admin",
        ["Guardrail:Auth:AdminKeys:0:Key"] = AdminKey,
    };

    public static async Task<GatewayServer> StartAsync(IDictionary<string, string?> settings, Func<string, bool>? mainAddressFilter = null, Action<IServiceCollection>? services = null)
    {
        // Only the test's settings: nothing from the machine's environment or appsettings files leaks in. The shipped
        // policies apply unless a test names others; the audit database lives in a folder of this server's own.
        var data = Directory.CreateTempSubdirectory("guardrail-gateway-");
        var defaults = new Dictionary<string, string?>
        {
            ["Guardrail:Policies:Directory"] = Path.Combine(RepositoryRoot.Path, "policies"),
            ["Guardrail:Policies:TaxonomyDirectory"] = Path.Combine(RepositoryRoot.Path, "taxonomy"),
            ["Guardrail:Audit:DatabasePath"] = Path.Combine(data.FullName, "audit.db"),
        };
        WebApplication app;
        try
        {
            app = Build(settings, defaults, services);
            await app.StartAsync();
        }
        catch
        {
            data.Delete(recursive: true);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single(mainAddressFilter ?? (_ => true));
        return new GatewayServer(app, new Uri(address), data);
    }

    // services: registrations made before the gateway's own, for the seams it adds with TryAdd (the clock, the audit sink).
    private static WebApplication Build(IDictionary<string, string?> settings, Dictionary<string, string?> defaults, Action<IServiceCollection>? services) =>
        GatewayApplication.Build([], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(defaults);
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Urls"] = "http://127.0.0.1:0" });
            builder.Logging.ClearProviders();
            services?.Invoke(builder.Services);
        });

    public HttpClient CreateClient(string? key = ClientKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Delete(recursive: true);
    }
}
