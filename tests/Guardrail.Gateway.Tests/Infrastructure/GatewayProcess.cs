using System.Diagnostics;
using System.Net;
using System.Text;
using Guardrail.Gateway.Tests.Admin;
using Guardrail.Gateway.Tests.Moderation;

namespace Guardrail.Gateway.Tests.Infrastructure;

/// <summary><c>dotnet Guardrail.Gateway.dll</c> from the test output, configured through environment variables only,
/// as an operator runs it. The audit log is a SQLite path, or a PostgreSQL connection string (<c>Host=...</c>).</summary>
internal sealed class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The moderating gateway of the audit tests: one chat route to <paramref name="backend"/>, the keyword guard.</summary>
    public static Task<GatewayProcess> StartAsync(Uri backend, string audit, int port, TimeSpan readyTimeout)
    {
        var settings = new Dictionary<string, string?>(GatewayServer.ConfigurationFor(backend))
        {
            ["ReverseProxy:Routes:chat:ClusterId"] = "llm",
            ["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions",
            ["ReverseProxy:Routes:chat:Metadata:Guardrail.Api"] = "openai.chat",
            [audit.StartsWith("Host=", StringComparison.Ordinal) ? "Guardrail:Audit:ConnectionString" : "Guardrail:Audit:DatabasePath"] = audit,
            ["Guardrail:Classifier:ModelPath"] = ModerationFixture.ModelPath,
            ["Guardrail:Classifier:ContextSize"] = "2048",
            ["Guardrail:Classifier:GpuLayers"] = "0",
            ["Guardrail:Classifier:RequestTimeout"] = "00:10:00",
        };
        if (audit.StartsWith("Host=", StringComparison.Ordinal))
        {
            // The store's commands and the migration at start-up wait this long; a loaded 2-core machine needs more than the 10 s default.
            settings["Guardrail:Audit:BusyTimeout"] = "00:01:00";
        }

        return StartAsync(settings, port, readyTimeout);
    }

    /// <summary>
    /// The gateway with <paramref name="settings"/> (and the shipped policies unless they name others) on
    /// <paramref name="port"/>, once <c>/readyz</c> says ready. Nothing from the machine's Guardrail or ReverseProxy
    /// environment leaks in; <c>GUARDRAIL_CACHE_DIR</c>, where the runtime is, stays.
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, int port, TimeSpan readyTimeout)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Guardrail.Gateway.dll") },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Guardrail__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ReverseProxy", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Guardrail:Policies:Directory"] = Path.Combine(RepositoryRoot.Path, "policies"),
            ["Guardrail:Policies:TaxonomyDirectory"] = Path.Combine(RepositoryRoot.Path, "taxonomy"),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        environment["Urls"] = $"http://127.0.0.1:{port}";
        foreach (var (key, value) in environment)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        var gateway = new GatewayProcess(process, port);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.SucceedsAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The gateway exited with {process.ExitCode} before it was ready:\n{gateway.Output}");
                }

                try
                {
                    using var response = await probe.GetAsync("/readyz");
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, readyTimeout, $"the gateway on port {port} to report ready");
        }
        catch (TimeoutException e)
        {
            gateway.Kill();
            gateway.Dispose();
            throw new TimeoutException($"{e.Message}\n{gateway.Output}", e);
        }

        return gateway;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush, no disposal; what is on disk is all there is.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
