using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Guardrail.Serving;

/// <summary>
/// The OpenAI-compatible generation server on its own Kestrel listener: what <c>guardrail serve</c> runs, and what the
/// gateway starts on an internal loopback address for its built-in backend.
/// </summary>
public sealed class GenerationServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GenerationServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>
    /// <c>GET /healthz</c>: 200 without the API key, for an orchestrator's readiness and liveness probes (which cannot
    /// send a secret). The listener opens only once the model is loaded, so any answer means ready; it says nothing else.
    /// </summary>
    public const string HealthPath = "/healthz";

    /// <summary>
    /// The header every whole (not streamed) completion carries with the server's own time for it, as W3C Server Timing
    /// (<c>Server-Timing: total;dur=12.345</c>, milliseconds): from the request's arrival to the answer being ready
    /// (queue, prompt decode and generation), so that a client can tell its own share of a round trip apart.
    /// </summary>
    public const string ServerTimingHeader = "Server-Timing";

    /// <summary>The bound address (the real port when port 0 was asked for).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Loads the model and starts listening on <paramref name="url"/> (for example <c>http://127.0.0.1:0</c>).</summary>
    /// <exception cref="ArgumentException">Invalid options (every problem listed).</exception>
    public static async Task<GenerationServer> StartAsync(GenerationServerOptions options, string url, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
        });
        if (loggerFactory is not null)
        {
            builder.Logging.ClearProviders();
            builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));

            // The caller says when it is serving (the gateway's start-up log, guardrail serve's line): no second "Application started".
            builder.Services.Configure<ConsoleLifetimeOptions>(static lifetime => lifetime.SuppressStatusMessages = true);
        }

        builder.Services.AddGenerationServing(options);
        var app = builder.Build();
        app.MapGenerationServing();
        app.MapGet(HealthPath, static () => Results.Text("ok\n", "text/plain; charset=utf-8"));
        app.MapFallback(context => OpenAIErrorResponse.WriteAsync(
            context, StatusCodes.Status404NotFound, $"No route matches {context.Request.Method} {context.Request.Path}.", OpenAIErrorResponse.InvalidRequest, "unknown_url"));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new GenerationServer(app, new Uri(address));
    }

    /// <summary>The engine behind the endpoints, for tests that check its state.</summary>
    internal LlamaCpp.Generation.GenerationEngine Engine => _app.Services.GetRequiredService<GenerationEngineHost>().Engine;

    /// <summary>
    /// Completes when the server has stopped: when <paramref name="cancellationToken"/> is cancelled (Ctrl+C for
    /// <c>guardrail serve</c>) or when the host's console lifetime stops the application on SIGTERM.
    /// </summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
