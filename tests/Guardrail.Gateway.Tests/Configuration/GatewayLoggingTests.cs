using System.Diagnostics;
using System.Text.Json;
using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Guardrail.Gateway.Tests.Configuration;

/// <summary><c>Guardrail:Logging:Json</c> switches the console logger to one JSON object per line.</summary>
public sealed class GatewayLoggingTests
{
    [Fact]
    public async Task LoggingJson_True_SelectsTheJsonConsoleFormatterWithUtcTimestamps()
    {
        var settings = GatewayServer.ConfigurationFor(new Uri("http://127.0.0.1:9/"));
        settings["Guardrail:Logging:Json"] = "true";
        await using var gateway = await GatewayServer.StartAsync(settings);

        var console = gateway.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        var json = gateway.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;

        Assert.Equal(ConsoleFormatterNames.Json, console.FormatterName);
        Assert.True(json.UseUtcTimestamp);
        Assert.False(json.JsonWriterOptions.Indented);
        Assert.Contains(gateway.Services.GetServices<ILoggerProvider>(), p => p is ConsoleLoggerProvider);
    }

    [Fact]
    public async Task LoggingJson_Unset_KeepsTheDefaultFormatter()
    {
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(new Uri("http://127.0.0.1:9/")));

        var console = gateway.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;

        Assert.NotEqual(ConsoleFormatterNames.Json, console.FormatterName);
    }

    [Fact]
    public async Task LoggingJson_NotABoolean_FailsStartUpNamingTheKey()
    {
        var settings = GatewayServer.ConfigurationFor(new Uri("http://127.0.0.1:9/"));
        settings["Guardrail:Logging:Json"] = "sometimes";

        var error = await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayServer.StartAsync(settings));

        Assert.Contains("Guardrail:Logging:Json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_LoggingJsonInTheEnvironment_WritesOneJsonObjectPerLine()
    {
        var data = Directory.CreateTempSubdirectory("guardrail-jsonlog-");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Guardrail.Gateway.dll"), "--urls", "http://127.0.0.1:0" },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Guardrail", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ReverseProxy", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Logging", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ReverseProxy__Routes__openai__ClusterId"] = "llm";
        start.Environment["ReverseProxy__Routes__openai__Match__Path"] = "/v1/{**path}";
        start.Environment["ReverseProxy__Clusters__llm__Destinations__main__Address"] = "http://127.0.0.1:9/";
        start.Environment["Guardrail__Auth__Keys__0__Id"] = "team-a-key";
        start.Environment["Guardrail__Auth__Keys__0__Tenant"] = "team-a";
        start.Environment["Guardrail__Auth__Keys__0__Key"] = GatewayServer.ClientKey;
        start.Environment["Guardrail__Policies__Directory"] = Path.Combine(RepositoryRoot.Path, "policies");
        start.Environment["Guardrail__Policies__TaxonomyDirectory"] = Path.Combine(RepositoryRoot.Path, "taxonomy");
        start.Environment["Guardrail__Audit__DatabasePath"] = Path.Combine(data.FullName, "audit.db");
        start.Environment["Guardrail__Logging__Json"] = "true";

        var lines = new List<string>();
        using var process = Process.Start(start)!;
        try
        {
            // The start-up line (event 2) proves the host got that far; reading stops there. The deadline only keeps a
            // broken start from hanging the run.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (line.Contains("\"EventId\":2102,", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            data.Delete(recursive: true);
        }

        Assert.Contains(lines, l => l.Contains("\"EventId\":2102,", StringComparison.Ordinal));
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            var root = entry.RootElement;
            Assert.EndsWith("Z", root.GetProperty("Timestamp").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("LogLevel").GetString()));
            Assert.False(string.IsNullOrEmpty(root.GetProperty("Category").GetString()));
            Assert.False(string.IsNullOrEmpty(root.GetProperty("Message").GetString()));
        }
    }
}
