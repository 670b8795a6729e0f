using System.Security.Cryptography;

namespace Guardrail.Gateway.Authentication;

/// <summary>
/// The opt-in local key (<c>Guardrail:Auth:DevelopmentKeyFile</c>) that lets the run command start a usable
/// gateway with no configuration. Generated once, stored with owner-only permissions, reused afterwards.
/// </summary>
internal static class DevelopmentKey
{
    public static readonly GatewayCaller Caller = new("dev", "dev");

    public static string LoadOrCreate(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath))
        {
            var existing = File.ReadAllText(fullPath).Trim();
            if (existing.Length >= GatewayKeyStore.MinimumKeyLength)
            {
                return existing;
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var key = "gr-dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(fullPath, options))
        {
            writer.Write(key);
        }

        return key;
    }
}
