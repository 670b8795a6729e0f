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

    /// <summary>The Dockerfile's text.</summary>
    internal static string Text => Dockerfile;

    /// <summary>Where the image puts its <c>guardrail</c> launcher, on the default PATH (what a pod's command names).</summary>
    internal const string CliLauncherOnPath = "/usr/local/bin/guardrail";

    /// <summary>The port the image exposes for the gateway's main listener (the first EXPOSE).</summary>
    internal static int ExposedPort() =>
        int.Parse(ExposePattern().Match(Dockerfile).Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);

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
    public void Publish_TheCliBesideTheGateway_WithALauncherOnPathInEveryRuntimeStage()
    {
        var publish = CliPublishPattern().Match(Dockerfile);
        Assert.True(publish.Success, "the Dockerfile does not publish the guardrail command (src/Guardrail.Cli)");
        Assert.True(File.Exists(System.IO.Path.Combine(RepositoryRoot.Path, publish.Groups["project"].Value)));
        var folder = publish.Groups["folder"].Value;
        Assert.StartsWith("/app/", folder, StringComparison.Ordinal);

        // The launcher runs the assembly the CLI project builds, from the folder it was published to.
        var launcher = LauncherPattern().Match(Dockerfile);
        Assert.True(launcher.Success, "the Dockerfile writes no guardrail launcher");
        var assembly = typeof(Guardrail.Cli.Commands.ServeCommand).Assembly.GetName().Name;
        Assert.Equal($"{folder}/{assembly}.dll", launcher.Groups["dll"].Value);
        var path = launcher.Groups["path"].Value;
        Assert.StartsWith("/app/", path, StringComparison.Ordinal);
        Assert.Contains($"chmod 755 {path}", Dockerfile, StringComparison.Ordinal);

        // Both runtime stages copy /app (launcher and CLI with it) and link the launcher onto PATH; the gateway stays
        // the entry point (Entrypoint_StartsTheGatewayAssembly).
        var stages = StagePattern().Split(Dockerfile).Where(stage => stage.Contains("ENTRYPOINT", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stages.Count);
        Assert.All(stages, stage =>
        {
            Assert.Matches(@"(?m)^COPY --from=\S+ /app /app\s*$", stage);
            Assert.Contains($"RUN ln -s {path} {CliLauncherOnPath}", stage, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Image_ListensOnTheExposedPort()
    {
        var port = ExposePattern().Match(Dockerfile).Groups["port"].Value;

        Assert.Contains($"Urls=http://0.0.0.0:{port}", Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryRuntimeStage_RunsTheSameEntrypointAsANonRootUser()
    {
        var stages = StagePattern().Split(Dockerfile).Where(stage => stage.Contains("ENTRYPOINT", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, stages.Count);
        Assert.All(stages, stage => Assert.Matches(@"(?m)^USER app\s*$", stage));
        Assert.Single(EntrypointPattern().Matches(Dockerfile).Select(m => m.Groups["json"].Value).Distinct(StringComparer.Ordinal));
    }

    [Fact]
    public void CudaStage_ChecksReadinessOnTheManagementPortAndUsesTheCudaRuntimeItInstalls()
    {
        var cuda = StagePattern().Split(Dockerfile).Single(stage => stage.Contains("AS cuda", StringComparison.Ordinal));
        var management = new Uri(ManagementUrlPattern().Match(cuda).Groups["url"].Value);

        Assert.Matches(@"(?m)^HEALTHCHECK ", cuda);
        Assert.Contains($"/dev/tcp/127.0.0.1/{management.Port}", cuda, StringComparison.Ordinal);
        Assert.Contains("GET /readyz ", cuda, StringComparison.Ordinal);
        Assert.Contains("GUARDRAIL_LLAMA_RUNTIME_DIR=/app/native/runtime/cuda", cuda, StringComparison.Ordinal);
        Assert.Contains("native-runtime.sh --cuda && cp -r .cache/llama/runtime/cuda /app/native/runtime/", Dockerfile, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^(?=FROM )", RegexOptions.Multiline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex StagePattern();

    [GeneratedRegex(@"Guardrail__Metrics__ManagementUrl=(?<url>\S+)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ManagementUrlPattern();

    [GeneratedRegex(@"^ENTRYPOINT\s+(?<json>\[.*\])\s*$", RegexOptions.Multiline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex EntrypointPattern();

    [GeneratedRegex(@"dotnet publish (?<project>\S+\.csproj)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex PublishPattern();

    [GeneratedRegex(@"dotnet publish (?<project>\S+/Guardrail\.Cli\.csproj) -c Release -o (?<folder>\S+)", RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CliPublishPattern();

    [GeneratedRegex(@"printf '#!/bin/sh\\nexec dotnet (?<dll>\S+) ""\$@""\\n' >(?<path>\S+)", RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LauncherPattern();

    [GeneratedRegex(@"^EXPOSE\s+(?<port>\d+)\s*$", RegexOptions.Multiline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ExposePattern();
}
