using System.Text;
using Guardrail.ModelSynthesis;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.Serving.Tests;

/// <summary>A client that goes away mid-stream frees its sequence; on a random model that would otherwise generate for long.</summary>
public sealed class ClientDisconnectTests
{
    [Fact]
    public async Task StreamedChat_ClientGoesAway_CancelsTheGenerationAndFreesItsSequence()
    {
        NativeTestRuntime.EnsureInitialized();
        await using var server = await GenerationServer.StartAsync(
            new GenerationServerOptions { ModelPath = SyntheticModelCache.GetRandom("tiny"), GpuLayers = 0, ContextSize = 32768, Parallel = 1, Threads = 2 },
            "http://127.0.0.1:0",
            NullLoggerFactory.Instance);
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = VerdictAssert.CheckDeadline };
        using var deadline = new CancellationTokenSource(VerdictAssert.CheckDeadline);

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent("""{"messages":[{"role":"user","content":"Go on forever."}],"temperature":0,"stream":true}""", Encoding.UTF8, "application/json") })
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token))
        {
            var body = await response.Content.ReadAsStreamAsync(deadline.Token);
            Assert.True(await body.ReadAsync(new byte[1], deadline.Token) == 1, "the stream sent nothing");
            Assert.Equal(1, server.Engine.ActiveSequences);
        }

        // The connection is gone: the worker sees the cancelled request at its next step and frees the sequence.
        while (server.Engine.ActiveSequences != 0)
        {
            await Task.Delay(20, deadline.Token);
        }

        Assert.Equal(1, server.Engine.CancelledRequests);
        using var next = await http.PostAsync("/v1/completions", new StringContent("""{"prompt":"Hi","max_tokens":2,"temperature":0}""", Encoding.UTF8, "application/json"), deadline.Token);
        Assert.Equal(200, (int)next.StatusCode);
    }
}
