using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace Guardrail.Gateway.Redis;

/// <summary>
/// How the gateway reaches Redis, as its users configure it (a <c>redis://</c> or <c>rediss://</c> URL, a CA file and
/// two timeouts), translated into StackExchange.Redis's <see cref="ConfigurationOptions"/>.
/// </summary>
internal sealed record RedisConnectionOptions
{
    public required RedisEndpoint Endpoint { get; init; }

    /// <summary>A PEM or DER CA certificate that the server's TLS certificate must chain to, instead of the system store.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>Connecting, TLS and the AUTH/SELECT handshake together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one command may wait for its reply.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The library's options for this endpoint. Reads the CA file, so a missing or unreadable one throws here, at start-up.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The CA file is not a certificate.</exception>
    /// <exception cref="IOException">The CA file cannot be read.</exception>
    public ConfigurationOptions ToConfigurationOptions()
    {
        var commandMilliseconds = Milliseconds(CommandTimeout);
        var options = new ConfigurationOptions
        {
            EndPoints = { { Endpoint.Host, Endpoint.Port } },
            User = Endpoint.User,
            Password = Endpoint.Password,
            DefaultDatabase = Endpoint.Database,
            Ssl = Endpoint.UseTls,
            ClientName = "guardrail",

            // Start-up never fails or waits for Redis: the multiplexer keeps reconnecting in the background.
            AbortOnConnectFail = false,
            ConnectTimeout = Milliseconds(ConnectTimeout),
            SyncTimeout = commandMilliseconds,
            AsyncTimeout = commandMilliseconds,

            // Timeouts are noticed on the heartbeat (1 s by default); beat at least twice per command timeout so that
            // no caller waits much past it when the server freezes.
            HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Clamp(commandMilliseconds / 2, 100, 1000)),

            // While disconnected a command fails at once instead of queueing until its timeout: for a cache a miss now
            // is cheaper than a hit later, and the breaker above needs failures to open.
            BacklogPolicy = BacklogPolicy.FailFast,

            // One standalone server: no tie-breaker key and no configuration channel, which an ACL user limited to the
            // key prefix (~guardrail:*) and no pub/sub channels could not read.
            TieBreaker = string.Empty,
            ConfigurationChannel = string.Empty,
        };
        if (Endpoint.UseTls)
        {
            options.SslHost = Endpoint.Host;
        }

        if (CaCertificatePath is not null)
        {
            // The certificate lives as long as the options, which live as long as the process.
#pragma warning disable CA2000
            options.TrustIssuer(X509CertificateLoader.LoadCertificateFromFile(CaCertificatePath));
#pragma warning restore CA2000
        }

        return options;
    }

    private static int Milliseconds(TimeSpan value) => (int)Math.Clamp(Math.Ceiling(value.TotalMilliseconds), 1, int.MaxValue);
}
