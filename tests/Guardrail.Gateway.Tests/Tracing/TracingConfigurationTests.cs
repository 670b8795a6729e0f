using Guardrail.Gateway.Configuration;
using Guardrail.Gateway.Tests.Infrastructure;
using Guardrail.Gateway.Tracing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace Guardrail.Gateway.Tests.Tracing;

public sealed class TracingConfigurationTests
{
    [Fact]
    public void Read_NoEndpoint_IsOff()
    {
        Assert.Null(Read(new TracingOptions(), [], out var errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void Read_EndpointFromOtelVariable_IsOnAndLeavesTheEndpointToTheSdk()
    {
        var tracing = Read(new TracingOptions { SampleRatio = 0.25 }, new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317" }, out var errors);

        Assert.Empty(errors);
        Assert.NotNull(tracing);
        Assert.Null(tracing.Endpoint);
        Assert.Equal(0.25, tracing.SampleRatio);
    }

    [Fact]
    public void Read_HttpProtobufEndpoint_GetsTheTracesPath()
    {
        var tracing = Read(new TracingOptions { Endpoint = "http://collector:4318/", Protocol = "http/protobuf" }, [], out var errors);

        Assert.Empty(errors);
        Assert.Equal(new Uri("http://collector:4318/v1/traces"), tracing!.Endpoint);
        Assert.Equal(OtlpExportProtocol.HttpProtobuf, tracing.Protocol);
    }

    [Fact]
    public void Read_GrpcEndpointWithHttpProtocolFromTheEnvironment_GetsTheTracesPath()
    {
        var tracing = Read(new TracingOptions { Endpoint = "http://collector:4318" }, new() { ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf" }, out _);

        Assert.Equal(new Uri("http://collector:4318/v1/traces"), tracing!.Endpoint);
        Assert.Null(tracing.Protocol);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(null, "true")]
    public void Read_TurnedOff_IsOffWithAnEndpoint(bool? enabled, string? sdkDisabled)
    {
        Dictionary<string, string?> settings = sdkDisabled is null ? [] : new() { ["OTEL_SDK_DISABLED"] = sdkDisabled };

        Assert.Null(Read(new TracingOptions { Enabled = enabled, Endpoint = "http://collector:4317" }, settings, out var errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void Read_EveryBadValue_IsReportedWithItsKey()
    {
        Read(
            new TracingOptions { Endpoint = "ftp://collector", Protocol = "thrift", SampleRatio = -1 },
            new() { ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "json", ["OTEL_SDK_DISABLED"] = "maybe" },
            out var errors);

        Assert.Collection(
            errors,
            e => Assert.StartsWith("Guardrail:Tracing:SampleRatio", e, StringComparison.Ordinal),
            e => Assert.StartsWith("Guardrail:Tracing:Protocol", e, StringComparison.Ordinal),
            e => Assert.StartsWith("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", e, StringComparison.Ordinal),
            e => Assert.StartsWith("Guardrail:Tracing:Endpoint", e, StringComparison.Ordinal),
            e => Assert.StartsWith("OTEL_SDK_DISABLED", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Read_EnabledWithoutEndpoint_IsAnError()
    {
        Read(new TracingOptions { Enabled = true }, [], out var errors);

        Assert.StartsWith("Guardrail:Tracing:Enabled", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_WithoutEndpoint_HasNoTracerProvider()
    {
        await using var gateway = await GatewayServer.StartAsync(GatewayServer.ConfigurationFor(new Uri("http://127.0.0.1:9")));

        Assert.Null(gateway.Services.GetService<TracerProvider>());
    }

    private static TracingConfiguration? Read(TracingOptions options, Dictionary<string, string?> settings, out List<string> errors)
    {
        errors = [];
        return TracingConfiguration.Read(options, new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), errors);
    }
}
