using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.Serving.Tests;

/// <summary>A real <see cref="GenerationServer"/> (Kestrel on loopback port 0) over the scripted generator.</summary>
public sealed class ScriptedServerFixture : IAsyncLifetime
{
    public const string ApiKey = "serve-test-key-0123456789";

    private GenerationServer? _server;

    public GenerationServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public HttpClient Http { get; } = new() { Timeout = VerdictAssert.CheckDeadline };

    public static GenerationServerOptions Options => new()
    {
        ModelPath = TestAssets.ScriptedGenerator.Path,
        ModelId = "scripted",
        GpuLayers = 0,
        ContextSize = 256,
        Parallel = 4,
        Threads = 2,
        MaxRequestBodyBytes = 64 * 1024,
        ApiKey = ApiKey,
    };

    public async Task InitializeAsync()
    {
        NativeTestRuntime.EnsureInitialized();
        _server = await GenerationServer.StartAsync(Options, "http://127.0.0.1:0", NullLoggerFactory.Instance);
        Http.BaseAddress = _server.BaseAddress;
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task<(int Status, JsonElement Body)> PostJsonAsync(string path, string json)
    {
        using var response = await PostAsync(path, json);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>The <c>data:</c> payloads of an SSE response, in order.</summary>
    public async Task<IReadOnlyList<string>> PostStreamAsync(string path, string json)
    {
        using var response = await PostAsync(path, json);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        return [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => Assert.Single(e.Split('\n'))).Select(line =>
        {
            Assert.StartsWith("data: ", line, StringComparison.Ordinal);
            return line["data: ".Length..];
        })];
    }
}
