using System.Text.Json;
using System.Text.RegularExpressions;
using Guardrail.Gateway.Hosting;

namespace Guardrail.Gateway.Tests.Deployment;

/// <summary>
/// No Docker engine runs where the tests run, so the image cannot be built here; these tests check what can be
/// checked: the image starts the assembly this project builds, and the files it names exist.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string Dockerfile = File.ReadAllText(System.IO.Path.Combine(RepositoryRoot.Path, "Dockerfile"));

    [Fact]
    public void Entrypoint_StartsTheGatewayAssembly()
    {
        var entrypoint = JsonSerializer.Deserialize<string[]>(EntrypointPattern().Match(Dockerfile).Groups["json"].Value)!;

        Assert.Equal("dotnet", entrypoint[0]);
        Assert.Equal($"/app/{typeof(GatewayApplication).Assembly.GetName().Name}.dll", entrypoint[1]);
    }

    [Fact]
    public void Publish_NamesTheGatewayProjectThatExists()
    {
        var project = PublishPattern().Match(Dockerfile).Groups["project"].Value;

        Assert.True(File.Exists(System.IO.Path.Combine(RepositoryRoot.Path, project)), $"Dockerfile publishes {project}, which does not exist.");
        Assert.EndsWith("Guardrail.Gateway.csproj", project, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_ListensOnTheExposedPort()
    {
        var port = ExposePattern().Match(Dockerfile).Groups["port"].Value;

        Assert.Contains($"Urls=http://0.0.0.0:{port}", Dockerfile, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^ENTRYPOINT\s+(?<json>\[.*\])\s*$", RegexOptions.Multiline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex EntrypointPattern();

    [GeneratedRegex(@"dotnet publish (?<project>\S+\.csproj)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex PublishPattern();

    [GeneratedRegex(@"^EXPOSE\s+(?<port>\d+)\s*$", RegexOptions.Multiline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ExposePattern();
}
