using System.Globalization;
using Npgsql;

namespace Guardrail.Audit.Storage;

/// <summary>Reads <c>Guardrail:Audit:ConnectionString</c>: an Npgsql keyword string or a <c>postgres://</c> (or
/// <c>postgresql://</c>) URL as libpq and most platforms hand them out.</summary>
/// <remarks>Messages never repeat the value: it may hold a password.</remarks>
internal static class PostgresConnectionString
{
    /// <summary>Why the value cannot be used, or null when it can.</summary>
    public static string? Problem(string value)
    {
        try
        {
            var builder = Parse(value);
            return string.IsNullOrWhiteSpace(builder.Host)
                ? "names no host: give Host=... or a URL like postgres://user:password@host:5432/database."
                : null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            return "is neither a PostgreSQL URL (postgres://user:password@host:5432/database) nor a keyword " +
                "connection string (Host=...;Database=...;Username=...): " + ex.GetType().Name + ".";
        }
    }

    /// <summary>The connection settings, with timeouts from <paramref name="timeout"/> and the application name set
    /// unless the value names its own.</summary>
    public static NpgsqlConnectionStringBuilder Build(string value, TimeSpan timeout)
    {
        var builder = Parse(value);
        var seconds = Math.Max(1, (int)timeout.TotalSeconds);
        builder.Timeout = seconds;
        builder.CommandTimeout = seconds;
        builder.ApplicationName ??= "guardrail";
        return builder;
    }

    private static NpgsqlConnectionStringBuilder Parse(string value)
    {
        var text = value.Trim();
        if (!text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(text);
        }

        var uri = new Uri(text);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Uri.UnescapeDataString(uri.Host),
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
        };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        // Query parameters use libpq's names where they differ from Npgsql's keywords.
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var setting = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            builder[key.ToLowerInvariant() switch
            {
                "sslmode" => "SSL Mode",
                "application_name" => "Application Name",
                "connect_timeout" => "Timeout",
                _ => key,
            }] = key.Equals("sslmode", StringComparison.OrdinalIgnoreCase)
                ? CultureInfo.InvariantCulture.TextInfo.ToTitleCase(setting.Replace("-", "", StringComparison.Ordinal))
                : setting;
        }

        return builder;
    }
}
