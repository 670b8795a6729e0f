using System.Security.Cryptography;
using System.Text;

namespace Guardrail.Policies;

/// <summary>Content hashes of policy and taxonomy files.</summary>
internal static class PolicyVersion
{
    /// <summary>
    /// SHA-256 (lower-case hex) of <paramref name="files"/> framed as <c>kind, name, text</c> each with its length,
    /// so that no two different file sets can hash the same bytes.
    /// </summary>
    public static string Hash(IEnumerable<(string Kind, PolicySourceFile File)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (kind, file) in files)
        {
            AppendFramed(hash, kind);
            AppendFramed(hash, file.Name);
            AppendFramed(hash, Normalize(file.Text));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The version of a whole file set: files sorted by kind and name, so listing order does not matter.</summary>
    public static string HashSet(IEnumerable<PolicySourceFile> policies, IEnumerable<PolicySourceFile> taxonomies) =>
        Hash(policies.Select(static file => (Kind: "policy", File: file))
            .Concat(taxonomies.Select(static file => (Kind: "taxonomy", File: file)))
            .OrderBy(static entry => entry.Kind, StringComparer.Ordinal)
            .ThenBy(static entry => entry.File.Name, StringComparer.Ordinal));

    /// <summary>The text without a byte-order mark and with <c>\n</c> line ends: editors change these without changing meaning.</summary>
    public static string Normalize(string text) =>
        text.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    private static void AppendFramed(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
