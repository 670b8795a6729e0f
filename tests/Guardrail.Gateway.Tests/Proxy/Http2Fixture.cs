using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Guardrail.Gateway.Classification;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tests.Moderation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Guardrail.Gateway.Tests.Proxy;

/// <summary>Response headers as the gateway's own code set them, before Kestrel wrote (and filtered) them.</summary>
internal sealed record SetHeaders(string Path, string Protocol, int Status, IReadOnlyList<string> Names);

/// <summary>
/// A moderating gateway (the keyword guard through llama.cpp) with three listeners named in <c>Kestrel:Endpoints</c>:
/// plain text with Kestrel's default protocols (HTTP/1.1 only without TLS), h2c (<c>Protocols: Http2</c>) and HTTPS
/// (HTTP/1.1 and HTTP/2 by ALPN), plus the management listener. Cluster <c>llm</c> is an h2c backend reached with
/// HTTP/2 only (<c>HttpRequest: Version 2, RequestVersionExact</c>); <c>/h1/...</c> goes to an HTTP/1.1 backend.
/// </summary>
public sealed class Http2Fixture : IAsyncLifetime
{
    private readonly int _plainPort = FreePort.Next();
    private readonly int _h2cPort = FreePort.Next();
    private readonly int _httpsPort = FreePort.Next();
    private DirectoryInfo _certificates = null!;

    internal TestBackend H2Backend { get; private set; } = null!;

    internal TestBackend H1Backend { get; private set; } = null!;

    internal GatewayServer Gateway { get; private set; } = null!;

    internal int ManagementPort { get; } = FreePort.Next();

    /// <summary>Headers the gateway set on each response, in order.</summary>
    internal ConcurrentQueue<SetHeaders> ResponseHeaders { get; } = new();

    internal Uri Plain => new($"http://127.0.0.1:{_plainPort}");

    internal Uri H2c => new($"http://127.0.0.1:{_h2cPort}");

    internal Uri Https => new($"https://127.0.0.1:{_httpsPort}");

    public async Task InitializeAsync()
    {
        H2Backend = await TestBackend.StartAsync(HttpProtocols.Http2);
        H1Backend = await TestBackend.StartAsync();
        _certificates = Directory.CreateTempSubdirectory("guardrail-h2-");
        var certificate = Path.Combine(_certificates.FullName, "gateway.pfx");
        await File.WriteAllBytesAsync(certificate, SelfSignedCertificate());

        var settings = ModerationFixture.Settings(H2Backend.BaseAddress, policies: null, ModerationFixture.ModelPath);
        // The moderation fixture's routes that name its own test policies take the default policy here.
        foreach (var pinned in settings.Keys.Where(k => k.EndsWith(":Metadata:Guardrail.Policy", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(pinned);
        }

        settings["ReverseProxy:Clusters:llm:HttpRequest:Version"] = "2";
        settings["ReverseProxy:Clusters:llm:HttpRequest:VersionPolicy"] = "RequestVersionExact";
        settings["ReverseProxy:Clusters:llm-h1:Destinations:main:Address"] = H1Backend.BaseAddress.ToString();
        settings["Guardrail:Upstreams:llm-h1:ApiKey"] = GatewayServer.BackendKey;
        settings["ReverseProxy:Routes:h1-chat:ClusterId"] = "llm-h1";
        settings["ReverseProxy:Routes:h1-chat:Match:Path"] = "/h1/v1/chat/completions";
        settings["ReverseProxy:Routes:h1-chat:Metadata:Guardrail.Api"] = "openai.chat";
        settings["ReverseProxy:Routes:h1-chat:Transforms:0:PathRemovePrefix"] = "/h1";
        settings["ReverseProxy:Routes:slow-sse:ClusterId"] = "llm";
        settings["ReverseProxy:Routes:slow-sse:Match:Path"] = "/slow/v1/chat/completions";
        settings["ReverseProxy:Routes:slow-sse:Metadata:Guardrail.Api"] = "openai.chat";
        settings["ReverseProxy:Routes:slow-sse:Transforms:0:PathSet"] = "/v1/slow-stream";
        settings["ReverseProxy:Clusters:dead:Destinations:main:Address"] = $"http://127.0.0.1:{FreePort.Next()}";
        settings["ReverseProxy:Routes:dead:ClusterId"] = "dead";
        settings["ReverseProxy:Routes:dead:Match:Path"] = "/dead/{**path}";
        settings["Guardrail:Metrics:ManagementUrl"] = $"http://127.0.0.1:{ManagementPort}";
        settings["Kestrel:Endpoints:plain:Url"] = Plain.ToString();
        settings["Kestrel:Endpoints:h2c:Url"] = H2c.ToString();
        settings["Kestrel:Endpoints:h2c:Protocols"] = "Http2";
        settings["Kestrel:Endpoints:https:Url"] = Https.ToString();
        settings["Kestrel:Endpoints:https:Certificate:Path"] = certificate;

        Gateway = await GatewayServer.StartAsync(
            settings,
            mainAddressFilter: a => a.EndsWith($":{_plainPort}", StringComparison.Ordinal),
            services: s => s.AddSingleton<IStartupFilter>(new HeaderRecorder(ResponseHeaders)));
        await Gateway.Services.GetRequiredService<ClassifierHost>().Loaded;
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await H2Backend.DisposeAsync();
        await H1Backend.DisposeAsync();
        _certificates.Delete(recursive: true);
    }

    /// <summary>A client of the gateway that speaks exactly <paramref name="version"/> (HTTP/2 over plain text is h2c with prior knowledge).</summary>
    internal static HttpClient Client(Uri listener, Version version, string? key = GatewayServer.ClientKey)
    {
        var handler = new SocketsHttpHandler
        {
            // The listener's certificate is the fixture's own, self-signed.
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = listener,
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromMinutes(5),
        };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    private static byte[] SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return certificate.Export(X509ContentType.Pfx);
    }

    /// <summary>
    /// Outermost in the pipeline, it registers the first <c>OnStarting</c> callback, which runs last: it sees the
    /// headers every other part of the gateway set, as they stand before Kestrel writes them.
    /// </summary>
    private sealed class HeaderRecorder(ConcurrentQueue<SetHeaders> sink) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                var path = context.Request.Path.ToString();
                var protocol = context.Request.Protocol;
                context.Response.OnStarting(() =>
                {
                    sink.Enqueue(new SetHeaders(path, protocol, context.Response.StatusCode, [.. context.Response.Headers.Keys]));
                    return Task.CompletedTask;
                });
                await inner(context);
            });
            next(app);
        };
    }
}
