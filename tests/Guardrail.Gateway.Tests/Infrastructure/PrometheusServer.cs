using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Guardrail.Gateway.Tests.Infrastructure;

/// <summary>A real Prometheus server (Debian's package) on a free loopback port, killed on dispose.</summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private PrometheusServer(Process process, Uri address)
    {
        _process = process;
        Api = new HttpClient { BaseAddress = address };
        _process.ErrorDataReceived += (_, e) => _log.Enqueue(e.Data ?? string.Empty);
        _process.OutputDataReceived += (_, e) => _log.Enqueue(e.Data ?? string.Empty);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public HttpClient Api { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>What Prometheus logged, for failure messages.</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>Starts Prometheus on <paramref name="configFile"/>, storing its data under <paramref name="workDirectory"/>.</summary>
    public static PrometheusServer Start(string configFile, string workDirectory)
    {
        var port = FreePort.Next();
        var start = new ProcessStartInfo(ExternalProcess.Require("prometheus"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                $"--config.file={configFile}",
                $"--storage.tsdb.path={Path.Combine(workDirectory, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
            },
        };
        return new PrometheusServer(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>The value of an instant query that returns one series, or null while it returns none (or Prometheus is still starting).</summary>
    public async Task<string?> QuerySingleValueAsync(string promQl)
    {
        try
        {
            using var document = JsonDocument.Parse(await Api.GetStringAsync(new Uri($"/api/v1/query?query={Uri.EscapeDataString(promQl)}", UriKind.Relative)));
            var result = document.RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 1 ? result[0].GetProperty("value")[1].GetString() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds or 90 s pass. The deadline only turns a broken setup into a
    /// failure instead of a hang; nothing is timed.
    /// </summary>
    public async Task<bool> WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !HasExited)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
