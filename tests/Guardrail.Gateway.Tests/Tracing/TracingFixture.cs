using System.Diagnostics;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace Guardrail.Gateway.Tests.Tracing;

/// <summary>
/// A traced gateway: real moderation as in <see cref="ModerationFixture"/> (the keyword guard, the recording backend),
/// spans exported over OTLP (http/protobuf) to a loopback receiver and, for the assertions, to OpenTelemetry's
/// in-memory exporter. A policy with a small window makes a streamed answer take several response checks.
/// </summary>
public sealed class TracingFixture : IAsyncLifetime
{
    public const string WindowPolicy = "trace-window";

    private DirectoryInfo _policies = null!;
    private WebApplication _receiver = null!;
    private int _otlpRequests;

    internal TestBackend Backend { get; private set; } = null!;

    internal GatewayServer Gateway { get; private set; } = null!;

    /// <summary>Every span the gateway process exported since start (tests pick theirs by trace id).</summary>
    internal SpanList Spans { get; } = new();

    /// <summary>The gateway's log entries with their scopes.</summary>
    internal ScopeCapturingLoggerProvider Logs { get; } = new();

    /// <summary>How many OTLP export requests the loopback collector received.</summary>
    internal int OtlpRequests => Volatile.Read(ref _otlpRequests);

    /// <summary>The OTLP bodies' content types the collector saw.</summary>
    internal System.Collections.Concurrent.ConcurrentQueue<string> OtlpContentTypes { get; } = new();

    public async Task InitializeAsync()
    {
        _receiver = await StartReceiverAsync();
        var collector = _receiver.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        Backend = await TestBackend.StartAsync();
        _policies = Directory.CreateTempSubdirectory("guardrail-trace-policies-");
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "policies"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(_policies.FullName, Path.GetFileName(file)));
        }

        await File.WriteAllTextAsync(Path.Combine(_policies.FullName, WindowPolicy + ".yaml"), $"""
            id: {WindowPolicy}
            taxonomy: llama-guard-3
            streaming:
              mode: window
              window_chars: 64
              overlap_chars: 16
            """);

        // The moderation fixture's classifier settings, with only the routes these tests use.
        var settings = ModerationFixture.Settings(Backend.BaseAddress, _policies.FullName, ModerationFixture.ModelPath)
            .Where(static setting => !setting.Key.StartsWith("ReverseProxy:Routes:", StringComparison.Ordinal) || setting.Key.StartsWith("ReverseProxy:Routes:chat:", StringComparison.Ordinal))
            .ToDictionary();
        settings["ReverseProxy:Routes:chat-window:ClusterId"] = "llm";
        settings["ReverseProxy:Routes:chat-window:Match:Path"] = "/window/v1/chat/completions";
        settings["ReverseProxy:Routes:chat-window:Metadata:Guardrail.Api"] = "openai.chat";
        settings["ReverseProxy:Routes:chat-window:Metadata:Guardrail.Policy"] = WindowPolicy;
        settings["ReverseProxy:Routes:chat-window:Transforms:0:PathSet"] = "/v1/chat/stream";
        settings["Guardrail:Tracing:Endpoint"] = collector;
        settings["Guardrail:Tracing:Protocol"] = "http/protobuf";
        Gateway = await GatewayServer.StartAsync(settings, services: services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(traces => traces.AddInMemoryExporter(Spans));
            services.AddSingleton<ILoggerProvider>(Logs);
        });
        await Gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Backend.DisposeAsync();
        await _receiver.DisposeAsync();
        _policies.Delete(recursive: true);
    }

    // An OTLP/HTTP collector reduced to what the test needs: it takes POST /v1/traces and counts it.
    private async Task<WebApplication> StartReceiverAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/traces", async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            if (body.Length > 0)
            {
                OtlpContentTypes.Enqueue(context.Request.ContentType ?? string.Empty);
                Interlocked.Increment(ref _otlpRequests);
            }

            context.Response.ContentType = "application/x-protobuf";
            context.Response.StatusCode = StatusCodes.Status200OK;
        });
        await app.StartAsync();
        return app;
    }
}

/// <summary>
/// The in-memory exporter's collection, safe to read while the exporter adds to it: every gateway in the test process
/// produces spans, and this provider's listener sees them all.
/// </summary>
internal sealed class SpanList : ICollection<Activity>
{
    private readonly List<Activity> _spans = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    /// <summary>The spans of one trace exported so far.</summary>
    public IReadOnlyList<Activity> OfTrace(ActivityTraceId traceId)
    {
        lock (_lock)
        {
            return [.. _spans.Where(span => span.TraceId == traceId)];
        }
    }

    public void Add(Activity item)
    {
        lock (_lock)
        {
            _spans.Add(item);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _spans.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (_lock)
        {
            return _spans.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (_lock)
        {
            _spans.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (_lock)
        {
            return _spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator()
    {
        Activity[] copy;
        lock (_lock)
        {
            copy = [.. _spans];
        }

        return ((IEnumerable<Activity>)copy).GetEnumerator();
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A log entry with the values of every scope it was written in.</summary>
internal sealed record ScopedLogEntry(int EventId, string Message, IReadOnlyDictionary<string, string?> Scope);

/// <summary>Records every log entry of the gateway with its scopes, as a console or JSON logger would see them.</summary>
internal sealed class ScopeCapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<ScopedLogEntry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<ScopedLogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(ScopeCapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, string?>(StringComparer.Ordinal);
            provider._scopes.ForEachScope(
                static (value, values) =>
                {
                    if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (key, item) in pairs)
                        {
                            values[key] = item?.ToString();
                        }
                    }
                },
                scope);
            provider._entries.Enqueue(new ScopedLogEntry(eventId.Id, formatter(state, exception), scope));
        }
    }
}
