using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Caching;

/// <summary>
/// A real <c>redis-server</c> (installed by <c>scripts/test.sh</c>) on a free loopback port, in a folder of its
/// own, that tests can kill, restart, pause (SIGSTOP) and resume (SIGCONT).
/// </summary>
internal sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;
    private readonly string _configFile;
    private Process? _process;

    private RedisServerProcess(DirectoryInfo directory, string configFile, int port, bool tls)
    {
        _directory = directory;
        _configFile = configFile;
        Port = port;
        UseTls = tls;
    }

    public int Port { get; }

    public bool UseTls { get; }

    /// <summary>The CA certificate (PEM) that the TLS server's certificate chains to; null without TLS.</summary>
    public string? CaCertificatePath { get; private init; }

    /// <summary>A URL for this server with optional credentials and database.</summary>
    public string Url(string? userInfo = null, int database = 0) => string.Create(
        CultureInfo.InvariantCulture,
        $"{(UseTls ? "rediss" : "redis")}://{(userInfo is null ? string.Empty : userInfo + "@")}127.0.0.1:{Port}/{database}");

    /// <summary>Starts a server; <paramref name="extraConfig"/> lines go into its redis.conf.</summary>
    public static async Task<RedisServerProcess> StartAsync(string extraConfig = "", bool tls = false)
    {
        ExternalProcess.Require("redis-server");
        var directory = Directory.CreateTempSubdirectory("guardrail-redis-");
        var port = FreePort.Next();
        var config = new List<string>
        {
            "bind 127.0.0.1",
            "protected-mode no",
            "save \"\"",
            "appendonly no",
            $"dir {directory.FullName}",
            "loglevel warning",
            $"logfile {Path.Combine(directory.FullName, "redis.log")}",
        };
        string? ca = null;
        if (tls)
        {
            ca = WriteCertificates(directory.FullName);
            config.Add("port 0");
            config.Add(string.Create(CultureInfo.InvariantCulture, $"tls-port {port}"));
            config.Add($"tls-cert-file {Path.Combine(directory.FullName, "server.crt")}");
            config.Add($"tls-key-file {Path.Combine(directory.FullName, "server.key")}");
            config.Add($"tls-ca-cert-file {ca}");
            config.Add("tls-auth-clients no");
        }
        else
        {
            config.Add(string.Create(CultureInfo.InvariantCulture, $"port {port}"));
        }

        config.Add(extraConfig);
        var configFile = Path.Combine(directory.FullName, "redis.conf");
        await File.WriteAllLinesAsync(configFile, config);
        var server = new RedisServerProcess(directory, configFile, port, tls) { CaCertificatePath = ca };
        try
        {
            await server.RestartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Starts the server process (again) on the same port, and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        var start = new ProcessStartInfo(ExternalProcess.Require("redis-server")) { UseShellExecute = false };
        start.ArgumentList.Add(_configFile);
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (_process.HasExited)
            {
                var log = Path.Combine(_directory.FullName, "redis.log");
                throw new InvalidOperationException("redis-server exited: " + (File.Exists(log) ? await File.ReadAllTextAsync(log) : "no log"));
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Kills the server (SIGKILL) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Freezes the server: connections stay open and nothing answers.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    public Task ResumeAsync() => SignalAsync("-CONT");

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await ResumeAsync();
        }

        await KillAsync();
        _process?.Dispose();
        _directory.Delete(recursive: true);
    }

    private async Task SignalAsync(string signal)
    {
        var (exitCode, output) = await ExternalProcess.RunAsync("kill", [signal, _process!.Id.ToString(CultureInfo.InvariantCulture)]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} failed: {output}");
        }
    }

    /// <summary>A CA and a server certificate for 127.0.0.1 signed by it, as PEM files; returns the CA's path.</summary>
    private static string WriteCertificates(string directory)
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Guardrail Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));

        var caPath = Path.Combine(directory, "ca.crt");
        File.WriteAllText(caPath, ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.crt"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
        return caPath;
    }
}

/// <summary>Bounded waits: poll a condition until it holds or the deadline passes (then the test fails).</summary>
internal static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up after {limit.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(25);
        }
    }
}
