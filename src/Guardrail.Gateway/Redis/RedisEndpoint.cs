using System.Globalization;

namespace Guardrail.Gateway.Redis;

/// <summary>
/// Where and how to reach Redis, from the URL users configure: <c>redis://[[user]:password@]host[:port][/db]</c>, or
/// <c>rediss://</c> for TLS. User and password are percent-decoded.
/// </summary>
internal sealed record RedisEndpoint
{
    public const int DefaultPort = 6379;

    public required string Host { get; init; }

    public int Port { get; init; } = DefaultPort;

    public bool UseTls { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    public int Database { get; init; }

    /// <summary>Parses <paramref name="url"/>; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? url, out RedisEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            error = "it is not an absolute URL such as redis://127.0.0.1:6379/0 or rediss://user:password@host:6380";
            return false;
        }

        var tls = uri.Scheme switch
        {
            "redis" => (bool?)false,
            "rediss" => true,
            _ => null,
        };
        if (tls is null)
        {
            error = $"the scheme '{uri.Scheme}' is not redis:// or rediss://";
            return false;
        }

        var database = 0;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15_999))
        {
            error = $"the path '/{path}' is not a database number";
            return false;
        }

        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                // redis://secret@host is the common short form for a password without a user.
                password = Uri.UnescapeDataString(uri.UserInfo);
            }
            else
            {
                user = colon > 0 ? Uri.UnescapeDataString(uri.UserInfo[..colon]) : null;
                password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        endpoint = new RedisEndpoint
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port,
            UseTls = tls.Value,
            User = user,
            Password = password,
            Database = database,
        };
        error = null;
        return true;
    }

    /// <summary>The endpoint for logs and messages: never the password.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{(UseTls ? "rediss" : "redis")}://{(User is null ? string.Empty : User + "@")}{Host}:{Port}/{Database}");
}
