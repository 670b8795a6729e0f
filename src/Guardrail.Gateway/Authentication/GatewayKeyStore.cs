using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Guardrail.Gateway.Configuration;
using Microsoft.Extensions.Primitives;

namespace Guardrail.Gateway.Authentication;

/// <summary>
/// Every configured key, client and admin alike, held only as SHA-256 digests. A presented key is hashed and compared
/// with every digest in constant time, so neither the position of a mismatch nor which entry matched shows in the
/// timing. Which kind of key matched is part of the answer: authorization, not lookup, decides what it opens.
/// </summary>
internal sealed class GatewayKeyStore
{
    public const int MinimumKeyLength = 16;
    private const string HashPrefix = "sha256:";
    private const string BearerPrefix = "Bearer ";

    private readonly Entry[] _entries;

    public GatewayKeyStore(IEnumerable<GatewayKeyOptions> keys, IEnumerable<AdminKeyOptions>? adminKeys = null, DevelopmentKeys? developmentKeys = null)
    {
        var entries = new List<Entry>();
        foreach (var key in keys)
        {
            entries.Add(new Entry(Digest(key.Id, key.Key, key.KeyHash), new GatewayCaller(key.Tenant!, key.Id!)));
        }

        foreach (var key in adminKeys ?? [])
        {
            entries.Add(new Entry(Digest(key.Id, key.Key, key.KeyHash), new GatewayCaller("admin", key.Id!, GatewayKeyKind.Admin)));
        }

        if (developmentKeys?.Client is { } developmentKey)
        {
            entries.Add(new Entry(Hash(developmentKey), DevelopmentKey.Caller));
        }

        if (developmentKeys?.Admin is { } developmentAdminKey)
        {
            entries.Add(new Entry(Hash(developmentAdminKey), DevelopmentKey.AdminCaller));
        }

        _entries = [.. entries];
    }

    /// <summary>Client keys, the development key included.</summary>
    public int Count => _entries.Count(static e => e.Caller.Kind == GatewayKeyKind.Client);

    /// <summary>
    /// The caller named by an <c>Authorization: Bearer &lt;key&gt;</c> header: exactly one header value, the
    /// <c>Bearer</c> scheme, a configured key. The one place that reads the header (for the authentication handler).
    /// </summary>
    public bool TryAuthenticate(StringValues authorization, [NotNullWhen(true)] out GatewayCaller? caller)
    {
        caller = null;
        return authorization.Count == 1
            && authorization[0] is { } value
            && value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            && TryAuthenticate(value.AsSpan(BearerPrefix.Length).Trim(), out caller);
    }

    public bool TryAuthenticate(ReadOnlySpan<char> presentedKey, [NotNullWhen(true)] out GatewayCaller? caller)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        HashInto(presentedKey, digest);

        caller = null;
        foreach (var entry in _entries)
        {
            // Every entry is compared, even after a match, so the time taken does not depend on which key matched.
            if (CryptographicOperations.FixedTimeEquals(digest, entry.Digest))
            {
                caller = entry.Caller;
            }
        }

        return caller is not null;
    }

    private static byte[] Digest(string? id, string? key, string? keyHash) =>
        key is { Length: > 0 } clear
            ? Hash(clear)
            : TryParseKeyHash(keyHash ?? string.Empty, out var parsed)
                ? parsed
                : throw new ArgumentException($"Key '{id}' has neither a key nor a valid key hash.", nameof(key));

    public static bool TryParseKeyHash(string value, out byte[] digest)
    {
        digest = [];
        if (!value.StartsWith(HashPrefix, StringComparison.OrdinalIgnoreCase) || value.Length != HashPrefix.Length + (2 * SHA256.HashSizeInBytes))
        {
            return false;
        }

        try
        {
            digest = Convert.FromHexString(value.AsSpan(HashPrefix.Length));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static byte[] Hash(string key)
    {
        var digest = new byte[SHA256.HashSizeInBytes];
        HashInto(key, digest);
        return digest;
    }

    private static void HashInto(ReadOnlySpan<char> key, Span<byte> digest)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(key.Length);
        var buffer = maxBytes <= 1024 ? stackalloc byte[1024] : new byte[maxBytes];
        var written = Encoding.UTF8.GetBytes(key, buffer);
        SHA256.HashData(buffer[..written], digest);
        CryptographicOperations.ZeroMemory(buffer[..written]);
    }

    private readonly record struct Entry(byte[] Digest, GatewayCaller Caller);
}
