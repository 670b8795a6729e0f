using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Proxy;

public sealed class ProxyErrorTests
{
    [Fact]
    public async Task Request_BackendDown_Returns502InOpenAIShapeWithoutDetails()
    {
        var settings = GatewayServer.ConfigurationFor(new Uri($"http://127.0.0.1:{ClosedPort()}/"));
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("upstream_error", error.GetProperty("type").GetString());
        Assert.Equal("upstream_error", error.GetProperty("code").GetString());
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayServer.BackendKey, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_BodyOverLimit_Returns413AndBackendSeesNothing()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = GatewayServer.ConfigurationFor(backend.BaseAddress);
        settings["Guardrail:Limits:MaxRequestBodyBytes"] = "1024";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), new StringContent(new string('x', 4096)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("request_too_large", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task Request_ChunkedBodyOverLimit_Returns413()
    {
        await using var backend = await TestBackend.StartAsync();
        var settings = GatewayServer.ConfigurationFor(backend.BaseAddress);
        settings["Guardrail:Limits:MaxRequestBodyBytes"] = "1024";
        await using var gateway = await GatewayServer.StartAsync(settings);
        using var client = gateway.CreateClient();
        using var content = new StreamContent(new MemoryStream(new byte[8192]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("request_too_large", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Request_UnknownPath_Returns404InOpenAIShape()
    {
        await using var backend = await TestBackend.StartAsync();
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(backend.BaseAddress));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync(new Uri("/not-a-route", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("unknown_url", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(backend.Requests);
    }

    private static int ClosedPort()
    {
        // Bind and release a port: nothing listens there afterwards, so connecting is refused at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
