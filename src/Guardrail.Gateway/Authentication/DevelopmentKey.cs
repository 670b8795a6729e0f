using System.Security.Cryptography;

namespace Guardrail.Gateway.Authentication;

/// <summary>
/// The opt-in local keys (<c>Guardrail:Auth:DevelopmentKeyFile</c> for a client, <c>DevelopmentAdminKeyFile</c>
/// for the review page and <c>/metrics</c>) that let the run command start a usable gateway with no configuration.
/// Each is generated once, stored with owner-only permissions and reused afterwards.
/// </summary>
internal static class DevelopmentKey
{
    public static readonly GatewayCaller Caller = new("dev", "dev");
    public static readonly GatewayCaller AdminCaller = new("admin", "dev-admin", GatewayKeyKind.Admin);

    public const string ClientPrefix = "gr-dev-";
    public const string AdminPrefix = "gr-dev-admin-";

    public static string LoadOrCreate(string path, string prefix = ClientPrefix)
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
        var key = prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
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
