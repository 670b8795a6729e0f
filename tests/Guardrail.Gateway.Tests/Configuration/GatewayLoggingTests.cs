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
}
