using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Health;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;
using Guardrail.LlamaCpp.Native;
using Guardrail.Serving;
using Yarp.ReverseProxy.Configuration;

namespace Guardrail.Gateway.LocalBackend;

/// <summary>
/// The built-in backend (<c>Guardrail:LocalBackend</c>): the same OpenAI-compatible server as <c>guardrail serve</c>,
/// started by the gateway on an internal loopback listener and published as the destination of YARP cluster
/// <c>local</c>. Its model loads after start-up, as the classifier's does: <c>/healthz</c> answers meanwhile,
/// <c>/readyz</c> says it is loading, and a request routed to it gets 503 <c>upstream_unavailable</c>.
/// </summary>
internal sealed partial class LocalBackendHost : IHostedService, IAsyncDisposable
{
    private const string CheckName = "local_backend";

    /// <summary>Only this machine can reach the internal listener; the port is the kernel's choice.</summary>
    internal const string InternalUrl = "http://127.0.0.1:0";

    private readonly GuardrailOptions _options;
    private readonly LocalBackendCredentials _credentials;
    private readonly InMemoryConfigProvider _proxyConfig;
    private readonly IReadOnlyList<RouteConfig> _routes;
    private readonly GatewayReadiness _readiness;
    private readonly IHostEnvironment _environment;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<LocalBackendHost> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _loadedSource = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loading;
    private GenerationServer? _server;
    private int _disposed;

    public LocalBackendHost(
        GuardrailOptions options,
        LocalBackendCredentials credentials,
        LocalBackendProxyConfig proxyConfig,
        GatewayReadiness readiness,
        IHostEnvironment environment,
        ILoggerFactory loggerFactory)
    {
        _options = options;
        _credentials = credentials;
        _proxyConfig = proxyConfig.Provider;
        _routes = proxyConfig.Routes;
        _readiness = readiness;
        _environment = environment;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<LocalBackendHost>();
    }

    /// <summary>The internal listener's address once the model is loaded; null before, or when loading failed.</summary>
    public Uri? Address => _server?.BaseAddress;

    /// <summary>Completes when the model is loaded or failed to load; tests wait on it instead of polling.</summary>
    public Task Loaded => _loadedSource.Task;

    /// <summary>
    /// The server's options from <c>Guardrail:LocalBackend</c>: the one mapping, used to start the server and, at
    /// start-up, by <see cref="GatewayConfigurationValidator"/> to run the server's own validation.
    /// </summary>
    internal static GenerationServerOptions OptionsFrom(GuardrailOptions options, string modelPath, string? apiKey = null) => new()
    {
        ModelPath = modelPath,
        ApiKey = apiKey,
        // What the gateway accepted it forwards whole; the gateway's own limit is the one clients meet.
        MaxRequestBodyBytes = Math.Clamp(options.Limits.MaxRequestBodyBytes, 1024, MaxInternalBodyBytes),
        ModelId = options.LocalBackend.ModelId,
        GpuLayers = options.LocalBackend.GpuLayers,
        ContextSize = options.LocalBackend.ContextSize,
        Parallel = options.LocalBackend.Parallel,
        Threads = options.LocalBackend.Threads,
        QueueCapacity = options.LocalBackend.QueueCapacity,
    };

    private const long MaxInternalBodyBytes = 256L * 1024 * 1024;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(_options.LocalBackend.ModelPath!, _environment.ContentRootPath);
        _readiness.Report(new ReadinessCheck(CheckName, Ready: false, $"Loading {path}.", []));
        _loading = Task.Run(() => LoadAsync(path, _stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loading is { } loading)
        {
            await loading.WaitAsync(cancellationToken);
        }
    }

    // The container disposes this once as itself and once as the hosted service it also is.
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_loading is { } loading)
        {
            await loading;
        }

        if (_server is { } server)
        {
            await server.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task LoadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var server = await GenerationServer.StartAsync(OptionsFrom(_options, path, _credentials.Key), InternalUrl, _loggerFactory, cancellationToken);
            _server = server;
            _proxyConfig.Update(_routes, [DefaultProxyConfiguration.LocalCluster(server.BaseAddress)]);
            LogStarted(_logger, path, server.BaseAddress);
            _readiness.Report(new ReadinessCheck(CheckName, Ready: true, $"Serving {Path.GetFileName(path)} on the internal listener {server.BaseAddress}.", []));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while loading: nothing to report.
        }
        catch (Exception e) when (e is NativeRuntimeException or GgufFormatException or LlamaInferenceException or IOException or ArgumentException or InvalidOperationException)
        {
            LogLoadFailed(_logger, path, e.Message);
            _readiness.Report(new ReadinessCheck(CheckName, Ready: false, $"Loading {path} failed: {e.Message}", []));
        }
        finally
        {
            _loadedSource.TrySetResult();
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.LocalBackendStarted, Level = LogLevel.Information, Message = "Built-in backend serving {ModelPath} on {Address} (YARP cluster 'local')")]
    private static partial void LogStarted(ILogger logger, string modelPath, Uri address);

    [LoggerMessage(EventId = GatewayEventIds.LocalBackendLoadFailed, Level = LogLevel.Error, Message = "The built-in backend could not load {ModelPath}: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string modelPath, string reason);
}
