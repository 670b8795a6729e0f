using System.Net;
using System.Net.Sockets;
using System.Text;
using Guardrail.Gateway.Tests.Admin;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Limits;

/// <summary>
/// Hostile and slow clients on real sockets against a real gateway with short Kestrel limits: slowloris clients that
/// never finish their headers, clients that trickle a body, and stream readers that stop reading. While they hold
/// their connections, ordinary clients are served; and the gateway closes every slow one by itself. Nothing here is
/// timed: the limits decide when, the test only waits (with a generous deadline) for the outcome.
/// </summary>
public sealed class SlowClientTests : IAsyncLifetime
{
    private const int SlowClientsOfEachKind = 20;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private TestBackend _backend = null!;
    private GatewayServer _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        // A stream far larger than the socket buffers between a reader that stopped and the gateway (8 MiB).
        var chunk = "data: {\"choices\":[{\"delta\":{\"content\":\"" + new string('x', 64 * 1024) + "\"}}]}\n\n";
        _backend.StreamEvents = [.. Enumerable.Repeat(chunk, 128), "data: [DONE]\n\n"];
        var settings = GatewayServer.ConfigurationFor(_backend.BaseAddress);
        settings["Guardrail:Limits:RequestHeadersTimeout"] = "00:00:02";
        settings["Guardrail:Limits:MinRequestBodyBytesPerSecond"] = "1000";
        // Kestrel extends a response's deadline by bytes/rate for every byte its buffers take, so a reader that stopped
        // after the buffers took megabytes is cut that many seconds later: a high rate keeps that short here.
        settings["Guardrail:Limits:MinResponseBytesPerSecond"] = "1000000";
        settings["Guardrail:Limits:MinDataRateGracePeriod"] = "00:00:02";
        _gateway = await GatewayServer.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task SlowClients_HoldingConnections_OrdinaryClientsAreServedAndSlowOnesClosed()
    {
        using var stop = new CancellationTokenSource();
        var slow = new List<SlowClient>();
        try
        {
            for (var i = 0; i < SlowClientsOfEachKind; i++)
            {
                slow.Add(await SlowClient.StartAsync(_gateway.BaseAddress, SlowKind.Headers, stop.Token));
                slow.Add(await SlowClient.StartAsync(_gateway.BaseAddress, SlowKind.Body, stop.Token));
                slow.Add(await SlowClient.StartAsync(_gateway.BaseAddress, SlowKind.StoppedReader, stop.Token));
            }

            using var client = _gateway.CreateClient();
            var served = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
            {
                using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
                return response.StatusCode;
            }));

            Assert.All(served, status => Assert.Equal(HttpStatusCode.OK, status));
            foreach (var kind in new[] { SlowKind.Headers, SlowKind.Body })
            {
                await Eventually.SucceedsAsync(
                    () => Task.FromResult(slow.Where(c => c.Kind == kind).All(c => c.ClosedByServer)),
                    Deadline,
                    $"the gateway to close every {kind} client ({slow.Count(c => c.Kind == kind && !c.ClosedByServer)} still open)");
            }

            // A reader that stopped cannot tell a closed connection from a slow one without reading, so the gateway
            // says it: every POST (the trickled bodies and the stopped readers) has ended, although the stopped readers
            // never read their 8 MiB. Nothing else posts here.
            using var admin = _gateway.CreateClient(GatewayServer.AdminKey);
            long completed = 0;
            try
            {
                await Eventually.SucceedsAsync(
                    async () => (completed = await CompletedPostsAsync(admin)) == 2 * SlowClientsOfEachKind,
                    Deadline,
                    "every trickled body and stopped reader's request to end");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message} {completed} of {2 * SlowClientsOfEachKind} ended:\n{await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative))}", e);
            }
            using var after = await client.GetAsync(new Uri("/v1/models", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var client in slow)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<long> CompletedPostsAsync(HttpClient admin)
    {
        var text = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return text.Split('\n')
            .Where(l => l.StartsWith("guardrail_http_requests_total{", StringComparison.Ordinal)
                && l.Contains("route=\"openai\"", StringComparison.Ordinal) && l.Contains("method=\"POST\"", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private enum SlowKind
    {
        /// <summary>Sends a header line, then one byte now and then, never the blank line.</summary>
        Headers,

        /// <summary>Complete headers announcing a large body, then one byte now and then.</summary>
        Body,

        /// <summary>Asks for a large stream, reads nothing.</summary>
        StoppedReader,
    }

    /// <summary>One raw connection misbehaving one way; a trickling one notices when the server closes it.</summary>
    private sealed class SlowClient : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly Task _trickle;
        private volatile bool _closed;

        private SlowClient(Socket socket, SlowKind kind, CancellationToken stop)
        {
            _socket = socket;
            Kind = kind;
            _trickle = Task.Run(() => RunAsync(stop), CancellationToken.None);
        }

        public SlowKind Kind { get; }

        public bool ClosedByServer => _closed;

        public static async Task<SlowClient> StartAsync(Uri gateway, SlowKind kind, CancellationToken stop)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await socket.ConnectAsync(gateway.Host, gateway.Port, stop);
            var start = kind switch
            {
                SlowKind.Headers => $"POST /v1/chat/completions HTTP/1.1\r\nHost: {gateway.Authority}\r\nAuthorization: Bearer {GatewayServer.ClientKey}\r\nX-Slow: ",
                SlowKind.Body => $"POST /v1/chat/completions HTTP/1.1\r\nHost: {gateway.Authority}\r\nAuthorization: Bearer {GatewayServer.ClientKey}\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"model\":\"m\",\"messages\":[",
                _ => $"POST /v1/chat/stream HTTP/1.1\r\nHost: {gateway.Authority}\r\nAuthorization: Bearer {GatewayServer.ClientKey}\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
            };
            await socket.SendAsync(Encoding.ASCII.GetBytes(start), SocketFlags.None, stop);
            return new SlowClient(socket, kind, stop);
        }

        public async ValueTask DisposeAsync()
        {
            _socket.Dispose();
            await _trickle.ConfigureAwait(false);
        }

        private async Task RunAsync(CancellationToken stop)
        {
            try
            {
                if (Kind == SlowKind.StoppedReader)
                {
                    // Reads nothing, ever: whether the gateway gave up on it is for the gateway's metrics to say.
                    await Task.Delay(Timeout.Infinite, stop);
                }

                var trickle = Encoding.ASCII.GetBytes("a");
                while (!stop.IsCancellationRequested)
                {
                    await _socket.SendAsync(trickle, SocketFlags.None, stop);
                    if (ServerClosed())
                    {
                        return;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(500), stop);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                _closed = !stop.IsCancellationRequested || _closed;
            }
            catch (OperationCanceledException)
            {
                // The test is over.
            }
        }

        // The server closed (FIN or RST): readable with nothing left after draining what it sent (a 408 at most).
        private bool ServerClosed()
        {
            var buffer = new byte[4096];
            while (_socket.Poll(0, SelectMode.SelectRead))
            {
                if (_socket.Available == 0 || _socket.Receive(buffer) == 0)
                {
                    _closed = true;
                    return true;
                }
            }

            return false;
        }
    }
}
