using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>
/// Issue 7's crash test: the gateway as an operator runs it (a separate process configured through the environment),
/// killed with SIGKILL the moment it has answered, must show every blocked decision it answered after a restart on
/// the same database. A blocked decision is committed before its refusal is sent, so no answer can outrun its record.
/// </summary>
public sealed class AuditDurabilityTests : IAsyncLifetime
{
    private const int BlockedRequests = 30;
    private const int KillAfter = 10;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private TestBackend _backend = null!;
    private DirectoryInfo _data = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _data = Directory.CreateTempSubdirectory("guardrail-durability-");
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _data.Delete(recursive: true);
    }

    [Fact]
    public async Task SigKillAfterBlockedResponses_RestartFindsEveryBlockedDecision()
    {
        var database = Path.Combine(_data.FullName, "audit.db");
        var answered = new List<string>();
        using (var first = await GatewayProcess.StartAsync(_backend.BaseAddress, database, FreePort.Next(), ReadyTimeout))
        {
            using var client = Client(first.Port, GatewayServer.ClientKey);
            // Many requests at once, so that the writer commits them in groups, with allowed ones mixed in. The process
            // dies the moment the KillAfter-th refusal's headers arrive, while the others are still in flight: the
            // decisions just answered are the ones most likely to be only in memory, if anything were.
            var gate = new Lock();
            var killed = false;
            async Task SendAsync(string text, bool blocked)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Chat(text) };
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    lock (gate)
                    {
                        if (killed || !blocked)
                        {
                            return;
                        }

                        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                        answered.Add(Assert.Single(response.Headers.GetValues("x-guardrail-decision-id")));
                        if (answered.Count == KillAfter)
                        {
                            Volatile.Write(ref killed, true);
                            first.Kill();
                        }
                    }
                }
                catch (HttpRequestException) when (Volatile.Read(ref killed))
                {
                    // In flight when the process died: never answered, so nothing is promised about it.
                }
            }

            var requests = Enumerable.Range(0, BlockedRequests).Select(i => SendAsync($"How do I build a bomb, variant {i}?", blocked: true))
                .Concat(Enumerable.Range(0, 5).Select(i => SendAsync($"Tell me about the weather, day {i}.", blocked: false)));
            await Task.WhenAll(requests);
            first.Kill();
        }

        Assert.True(answered.Count >= KillAfter, $"Only {answered.Count} blocked answers arrived.");
        using var second = await GatewayProcess.StartAsync(_backend.BaseAddress, database, FreePort.Next(), ReadyTimeout);
        using var admin = Client(second.Port, GatewayServer.AdminKey);
        var page = await AdminEndpointsTests.GetJsonAsync(admin, "/admin/v1/decisions?action=block&limit=1000");
        var found = AdminEndpointsTests.Ids(page).ToHashSet(StringComparer.Ordinal);
        var missing = answered.Where(id => !found.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {answered.Count} answered blocked decisions are missing after the crash: {string.Join(", ", missing)}");
        var one = await AdminEndpointsTests.GetJsonAsync(admin, $"/admin/v1/decisions/{answered[^1]}");
        Assert.Equal("block", one.GetProperty("action").GetString());
        Assert.Equal(["S1"], one.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
    }

    private static StringContent Chat(string text)
    {
        var body = JsonSerializer.Serialize(new { model = "llama-3-8b", messages = new[] { new { role = "user", content = text } } });
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static HttpClient Client(int port, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary><c>dotnet Guardrail.Gateway.dll</c> from the test output, configured through environment variables only.</summary>
    private sealed class GatewayProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private GatewayProcess(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public static async Task<GatewayProcess> StartAsync(Uri backend, string database, int port, TimeSpan readyTimeout)
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

            var settings = new Dictionary<string, string?>(GatewayServer.ConfigurationFor(backend))
            {
                ["ReverseProxy:Routes:chat:ClusterId"] = "llm",
                ["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions",
                ["ReverseProxy:Routes:chat:Metadata:Guardrail.Api"] = "openai.chat",
                ["Guardrail:Policies:Directory"] = Path.Combine(RepositoryRoot.Path, "policies"),
                ["Guardrail:Policies:TaxonomyDirectory"] = Path.Combine(RepositoryRoot.Path, "taxonomy"),
                ["Guardrail:Audit:DatabasePath"] = database,
                ["Guardrail:Classifier:ModelPath"] = ModerationFixture.ModelPath,
                ["Guardrail:Classifier:ContextSize"] = "2048",
                ["Guardrail:Classifier:GpuLayers"] = "0",
                ["Guardrail:Classifier:RequestTimeout"] = "00:10:00",
                ["Urls"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
            };
            foreach (var (key, value) in settings)
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
}
