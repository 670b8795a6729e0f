using System.ClientModel;
using System.Net;
using System.Text;
using Guardrail.Gateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace Guardrail.Gateway.Tests.Proxy;

public sealed class PassThroughTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private GatewayServer _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(_backend.BaseAddress));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task ChatCompletion_NonStreaming_ArrivesByteForByteWithStatusAndHeaders()
    {
        using var client = _gateway.CreateClient();
        const string requestJson = """{"model":"llama-3-8b","messages":[{"role":"user","content":"Hi"}]}""";
        using var content = new StringContent(requestJson, Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(new Uri("/v1/chat/completions?trace=1", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Encoding.UTF8.GetBytes(TestBackend.ChatCompletionJson), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("kept", Assert.Single(response.Headers.GetValues("x-backend-header")));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        var seen = Assert.Single(_backend.Requests);
        Assert.Equal("POST", seen.Method);
        Assert.Equal("/v1/chat/completions?trace=1", seen.Path);
        Assert.Equal(requestJson, Encoding.UTF8.GetString(seen.Body));
    }

    [Fact]
    public async Task SlowStream_Sse_ArrivesChunkByChunk()
    {
        using var client = _gateway.CreateClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/slow-stream")
        {
            Content = new StringContent("""{"stream":true}""", Encoding.UTF8, "application/json"),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);

        // The backend sends chunk i+1 only after the test has received chunk i through the gateway. A gateway that
        // buffered the stream would deliver nothing, and the read would hit the timeout instead of a chunk.
        var received = new StringBuilder();
        for (var i = 0; i < TestBackend.StreamChunks.Length; i++)
        {
            var expectedSoFar = string.Concat(TestBackend.StreamChunks.Take(i + 1));
            while (received.Length < expectedSoFar.Length)
            {
                var buffer = new byte[4096];
                var read = await body.ReadAsync(buffer, timeout.Token);
                Assert.True(read > 0, $"The stream ended after {received.Length} characters; expected chunk {i}.");
                received.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }

            Assert.Equal(expectedSoFar, received.ToString());
            _backend.StreamGate.Release();
        }

        Assert.Equal(0, await body.ReadAsync(new byte[16], timeout.Token));
    }

    [Theory]
    [InlineData(404)]
    [InlineData(429)]
    [InlineData(500)]
    public async Task BackendErrorStatus_PassesThroughUnchanged(int status)
    {
        using var client = _gateway.CreateClient();

        using var response = await client.GetAsync(new Uri($"/v1/status/{status}", UriKind.Relative));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal($"{{\"error\":{{\"message\":\"backend says {status}\"}}}}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenAIClient_ChatCompletion_ParsesTheProxiedResponse()
    {
        var client = new ChatClient(
            "llama-3-8b",
            new ApiKeyCredential(GatewayServer.ClientKey),
            new OpenAIClientOptions { Endpoint = new Uri(_gateway.BaseAddress, "/v1") });

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Hi")]);

        Assert.Equal("Hello été from the backend.", Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        var seen = Assert.Single(_backend.Requests);
        Assert.Equal("Bearer " + GatewayServer.BackendKey, seen.Headers["Authorization"]);
    }

    [Fact]
    public async Task OpenAIClient_WrongKey_RaisesAuthenticationError()
    {
        var client = new ChatClient(
            "llama-3-8b",
            new ApiKeyCredential("gk-not-a-real-key-000000"),
            new OpenAIClientOptions { Endpoint = new Uri(_gateway.BaseAddress, "/v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("Hi")]));

        Assert.Equal(401, error.Status);
        Assert.Contains("Incorrect API key", error.Message, StringComparison.Ordinal);
        Assert.Empty(_backend.Requests);
    }
}
