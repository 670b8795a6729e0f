namespace Guardrail.Testing;

/// <summary>
/// The checkout the tests run from: the nearest folder above the test binaries that holds Guardrail.sln. Only test
/// code may look for the solution; the products find their files from configuration (see NativeRuntimeLocator).
/// </summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>The checkout's root folder.</summary>
    public static string Path => Root.Value;

    /// <summary>A path under the checkout's root.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Guardrail.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Guardrail.sln above {AppContext.BaseDirectory}.");
    }
}
