using System.Net;
using System.Net.Sockets;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Proxy;
using Polly.CircuitBreaker;

namespace Guardrail.Gateway.Tests.Proxy;

/// <summary>
/// The retry and breaker rules at the handler seam (a scripted inner handler stands for the network; the real
/// forwarding path to a dead backend is covered by <see cref="ProxyErrorTests"/>).
/// </summary>
public sealed class UpstreamResilienceHandlerTests
{
    [Fact]
    public async Task SendAsync_ConnectionRefusedOnce_IsRetriedAndSucceeds()
    {
        var inner = new ScriptedHandler(ConnectionRefused(), null);
        using var client = Client(inner, new UpstreamResilienceSettings { RetryDelay = TimeSpan.FromMilliseconds(1) });

        using var response = await client.GetAsync(new Uri("http://backend/v1/models"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_FailureAfterTheRequestWasSent_IsNeverRetried()
    {
        var inner = new ScriptedHandler(new HttpRequestException(HttpRequestError.ResponseEnded, "the backend closed the connection"), null);
        using var client = Client(inner, new UpstreamResilienceSettings { RetryDelay = TimeSpan.FromMilliseconds(1) });

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://backend/v1/chat/completions")));

        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task SendAsync_ClusterKeepsFailing_BreakerOpensAndFailsFastWithoutCallingIt()
    {
        var failures = Enumerable.Repeat<Exception?>(ConnectionRefused(), 10).ToArray();
        var inner = new ScriptedHandler(failures);
        using var client = Client(inner, new UpstreamResilienceSettings { ConnectRetries = 0, BreakerMinimumThroughput = 4, BreakerFailureRatio = 0.5 });

        for (var i = 0; i < 4; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://backend/")));
        }

        await Assert.ThrowsAsync<BrokenCircuitException>(() => client.GetAsync(new Uri("http://backend/")));
        Assert.Equal(4, inner.Calls);
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, true)]
    [InlineData(HttpRequestError.NameResolutionError, true)]
    [InlineData(HttpRequestError.ResponseEnded, false)]
    [InlineData(HttpRequestError.InvalidResponse, false)]
    public void IsConnectFailure_OnlyWhenNothingWasSent(HttpRequestError error, bool expected)
    {
        Assert.Equal(expected, UpstreamResilienceHandler.IsConnectFailure(new HttpRequestException(error, "x")));
    }

    private static HttpRequestException ConnectionRefused() =>
        new(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));

    private static HttpClient Client(ScriptedHandler inner, UpstreamResilienceSettings settings) =>
        new(new UpstreamResilienceHandler(UpstreamResilienceHandler.CreatePipeline(settings, TimeProvider.System), inner));

    /// <summary>Throws the scripted exceptions in order (null: answer 200), then answers 200.</summary>
    private sealed class ScriptedHandler(params Exception?[] script) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls) - 1;
            return call < script.Length && script[call] is { } failure
                ? Task.FromException<HttpResponseMessage>(failure)
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
