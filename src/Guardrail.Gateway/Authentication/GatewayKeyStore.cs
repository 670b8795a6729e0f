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
/// Keys from configuration are fixed; keys from <c>Guardrail:Auth:KeyFile</c> are replaced as a whole by
/// <see cref="ReplaceFileKeys"/>, one array swap, so a request sees the old set or the new one, never a mix.
/// </summary>
internal sealed class GatewayKeyStore
{
    public const int MinimumKeyLength = 16;
    private const string HashPrefix = "sha256:";
    private const string BearerPrefix = "Bearer ";

    private readonly Entry[] _fixed;
    private readonly TimeProvider _time;
    private readonly Lock _replaceGate = new();
    private Entry[] _fromFile = [];
    private Entry[] _entries;

    public GatewayKeyStore(IEnumerable<GatewayKeyOptions> keys, IEnumerable<AdminKeyOptions>? adminKeys = null, DevelopmentKeys? developmentKeys = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        var entries = EntriesFor(keys, adminKeys ?? []);
        if (developmentKeys?.Client is { } developmentKey)
        {
            entries.Add(new Entry(Hash(developmentKey), DevelopmentKey.Caller, NotAfter: null));
        }

        if (developmentKeys?.Admin is { } developmentAdminKey)
        {
            entries.Add(new Entry(Hash(developmentAdminKey), DevelopmentKey.AdminCaller, NotAfter: null));
        }

        _fixed = [.. entries];
        _entries = _fixed;
    }

    /// <summary>Client keys, the development key and those from the key file included, whether or not they have expired.</summary>
    public int Count => Volatile.Read(ref _entries).Count(static e => e.Caller.Kind == GatewayKeyKind.Client);

    /// <summary>
    /// Makes <paramref name="keys"/> and <paramref name="adminKeys"/> the key file's keys (they must be valid:
    /// <see cref="GatewayKeyFile"/> checks them first). A key the file held before and holds no more keeps working
    /// until <paramref name="overlap"/> from now, or until its own expiry if that comes first; with no overlap it is
    /// refused from this call on.
    /// </summary>
    /// <returns>How many keys were removed and are now in their overlap.</returns>
    public int ReplaceFileKeys(IEnumerable<GatewayKeyOptions> keys, IEnumerable<AdminKeyOptions> adminKeys, TimeSpan overlap)
    {
        lock (_replaceGate)
        {
            var now = _time.GetUtcNow();
            var next = EntriesFor(keys, adminKeys);
            var retiring = 0;
            if (overlap > TimeSpan.Zero)
            {
                var until = now + overlap;
                foreach (var old in _fromFile)
                {
                    if (next.Exists(e => CryptographicOperations.FixedTimeEquals(e.Digest, old.Digest)))
                    {
                        continue;
                    }

                    var notAfter = old.NotAfter is { } expiry && expiry < until ? expiry : until;
                    if (notAfter > now)
                    {
                        next.Add(old with { NotAfter = notAfter });
                        retiring++;
                    }
                }
            }

            _fromFile = [.. next];
            Volatile.Write(ref _entries, [.. _fixed, .. _fromFile]);
            return retiring;
        }
    }

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

        var now = _time.GetUtcNow();
        caller = null;
        foreach (var entry in Volatile.Read(ref _entries))
        {
            // Every entry is compared, even after a match, so the time taken does not depend on which key matched.
            if (CryptographicOperations.FixedTimeEquals(digest, entry.Digest) && (entry.NotAfter is null || now < entry.NotAfter))
            {
                caller = entry.Caller;
            }
        }

        return caller is not null;
    }

    private static List<Entry> EntriesFor(IEnumerable<GatewayKeyOptions> keys, IEnumerable<AdminKeyOptions> adminKeys)
    {
        var entries = new List<Entry>();
        foreach (var key in keys)
        {
            entries.Add(new Entry(Digest(key.Id, key.Key, key.KeyHash), new GatewayCaller(key.Tenant!, key.Id!), key.Expires));
        }

        foreach (var key in adminKeys)
        {
            entries.Add(new Entry(Digest(key.Id, key.Key, key.KeyHash), new GatewayCaller("admin", key.Id!, GatewayKeyKind.Admin, AdminScope.From(key.Tenants, key.Roles)), key.Expires));
        }

        return entries;
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

    /// <param name="Digest">The key's SHA-256.</param>
    /// <param name="Caller">Who the key names.</param>
    /// <param name="NotAfter">When the key stops working: its own expiry, or the end of its rotation overlap; null for never.</param>
    private readonly record struct Entry(byte[] Digest, GatewayCaller Caller, DateTimeOffset? NotAfter);
}
