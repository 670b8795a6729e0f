using System.Globalization;
using Guardrail.Gateway.Configuration;
using OpenTelemetry.Exporter;

namespace Guardrail.Gateway.Tracing;

/// <summary>
/// Whether the gateway traces, and where to: <c>Guardrail:Tracing</c> read together with the standard <c>OTEL_*</c>
/// variables (from configuration, which includes the environment). One reading serves start-up validation and the
/// exporter's set-up, so that what is validated is what runs.
/// </summary>
/// <param name="Endpoint"><c>Guardrail:Tracing:Endpoint</c> as the exporter's endpoint; null: the SDK reads the <c>OTEL_*</c> one.</param>
/// <param name="Protocol"><c>Guardrail:Tracing:Protocol</c>; null: the SDK reads <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>.</param>
/// <param name="SampleRatio">The share of new traces recorded.</param>
internal sealed record TracingConfiguration(Uri? Endpoint, OtlpExportProtocol? Protocol, double SampleRatio)
{
    private const string Section = "Guardrail:Tracing";
    private static readonly string[] EndpointVariables = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"];
    private static readonly string[] ProtocolVariables = ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"];

    /// <summary>The tracing in force, or null when it is off; every problem goes to <paramref name="errors"/>.</summary>
    public static TracingConfiguration? Read(TracingOptions options, IConfiguration configuration, List<string> errors)
    {
        var before = errors.Count;
        if (options.SampleRatio is < 0 or > 1 || double.IsNaN(options.SampleRatio))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:SampleRatio {options.SampleRatio} is out of range: use a share from 0 (no new traces) to 1 (every trace, the default)."));
        }

        var protocol = options.Protocol is null ? null : ParseProtocol(options.Protocol, $"{Section}:Protocol", errors);
        OtlpExportProtocol? environmentProtocol = null;
        foreach (var variable in ProtocolVariables)
        {
            if (configuration[variable] is { } value)
            {
                environmentProtocol ??= ParseProtocol(value, variable, errors);
            }
        }

        var endpoint = options.Endpoint is null ? null : ParseEndpoint(options.Endpoint, $"{Section}:Endpoint", errors);
        var fromEnvironment = false;
        foreach (var variable in EndpointVariables)
        {
            if (!string.IsNullOrWhiteSpace(configuration[variable]))
            {
                fromEnvironment |= ParseEndpoint(configuration[variable]!, variable, errors) is not null;
            }
        }

        var sdkDisabled = configuration["OTEL_SDK_DISABLED"];
        if (sdkDisabled is not null && !bool.TryParse(sdkDisabled, out _))
        {
            errors.Add($"OTEL_SDK_DISABLED '{sdkDisabled}' is not true or false.");
        }

        var configured = endpoint is not null || fromEnvironment;
        if (options.Enabled == true && !configured && errors.Count == before)
        {
            errors.Add($"{Section}:Enabled is true but no endpoint is configured: set {Section}:Endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) to the collector's OTLP address, such as http://otel-collector:4317, or remove {Section}:Enabled.");
        }

        var off = options.Enabled == false || !configured || string.Equals(sdkDisabled, "true", StringComparison.OrdinalIgnoreCase);
        if (off || errors.Count > before)
        {
            return null;
        }

        // As the SDK does for OTEL_EXPORTER_OTLP_ENDPOINT: over HTTP a base address gets the signal's path.
        if (endpoint is not null && (protocol ?? environmentProtocol) == OtlpExportProtocol.HttpProtobuf)
        {
            endpoint = new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/v1/traces");
        }

        return new TracingConfiguration(endpoint, protocol, options.SampleRatio);
    }

    private static OtlpExportProtocol? ParseProtocol(string value, string key, List<string> errors)
    {
        switch (value.Trim())
        {
            case "grpc":
                return OtlpExportProtocol.Grpc;
            case "http/protobuf":
                return OtlpExportProtocol.HttpProtobuf;
            default:
                errors.Add($"{key} '{value}' is not an OTLP protocol the exporter speaks: use grpc or http/protobuf.");
                return null;
        }
    }

    private static Uri? ParseEndpoint(string value, string key, List<string> errors)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri)
            && (string.Equals(uri.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal) || string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal))
            && !string.IsNullOrEmpty(uri.Host))
        {
            return uri;
        }

        errors.Add($"{key} '{value}' is not an absolute http or https address: use the collector's OTLP address, such as http://otel-collector:4317 (grpc) or http://otel-collector:4318 (http/protobuf).");
        return null;
    }
}
