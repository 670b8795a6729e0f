using Guardrail.LlamaCpp.Generation;
using Guardrail.LlamaCpp.Native;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Guardrail.Serving;

/// <summary>
/// Owns the generation engine: loads it when the host starts (a model that cannot load stops start-up with its
/// reason) and disposes it when the host stops, after Kestrel has stopped sending it requests.
/// </summary>
internal sealed partial class GenerationEngineHost(GenerationServerOptions options, ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    private GenerationEngine? _engine;

    /// <summary>The loaded engine; requests arrive only after <see cref="StartAsync"/> has loaded it.</summary>
    public GenerationEngine Engine => _engine ?? throw new InvalidOperationException("The generation engine is not loaded; the host has not started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Loading reads the whole file through llama.cpp: blocking work, kept off the caller's thread.
        _engine = await Task.Run(
            () => GenerationEngine.Load(options.EngineOptions(), new NativeRuntimeOptions(), loggerFactory, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        LogStarted(loggerFactory.CreateLogger<GenerationEngineHost>(), options.EffectiveModelId, options.Parallel, options.ContextSize);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _engine?.Dispose();

    [LoggerMessage(EventId = ServingEventIds.ServerStarted, Level = LogLevel.Information, Message = "Serving {Model}: {Parallel} sequences of {ContextSize} tokens")]
    private static partial void LogStarted(ILogger logger, string model, int parallel, int contextSize);
}
