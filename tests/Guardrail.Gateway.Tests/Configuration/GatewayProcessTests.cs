using System.Diagnostics;

namespace Guardrail.Gateway.Tests.Configuration;

/// <summary>The gateway as an operator runs it: a separate process, configured through the environment.</summary>
public sealed class GatewayProcessTests
{
    [Fact]
    public async Task Run_InvalidConfiguration_ExitsWithTheErrorListAndNoStackTrace()
    {
        var gatewayDll = Path.Combine(AppContext.BaseDirectory, "Guardrail.Gateway.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { gatewayDll, "--urls", "http://127.0.0.1:0" },
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Guardrail", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ReverseProxy", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ReverseProxy__Routes__openai__ClusterId"] = "llm";
        start.Environment["ReverseProxy__Routes__openai__Match__Path"] = "/v1/{**path}";
        start.Environment["ReverseProxy__Clusters__llm__Destinations__main__Address"] = "localhost:8080";
        start.Environment["Guardrail__Limits__MaxRequestBodyBytes"] = "0";

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(78, process.ExitCode);
        var errors = await stderr;
        Assert.Contains("configuration error(s)", errors, StringComparison.Ordinal);
        Assert.Contains("ReverseProxy:Clusters:llm:Destinations:main:Address 'localhost:8080'", errors, StringComparison.Ordinal);
        Assert.Contains("Guardrail:Limits:MaxRequestBodyBytes is 0", errors, StringComparison.Ordinal);
        Assert.Contains("Guardrail:Auth:Keys is empty", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors + await stdout, StringComparison.Ordinal);
    }
}
