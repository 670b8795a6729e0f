namespace Guardrail.Gateway.Tests.Infrastructure;

/// <summary>The checkout the tests run from: the nearest folder above the test binaries that holds Guardrail.sln.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

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
