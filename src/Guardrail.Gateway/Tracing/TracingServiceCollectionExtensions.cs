using Guardrail.LlamaCpp.Classification;
using Guardrail.Tracing;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Guardrail.Gateway.Tracing;

/// <summary>Registers OpenTelemetry tracing when <see cref="TracingConfiguration"/> says it is on.</summary>
internal static class TracingServiceCollectionExtensions
{
    /// <summary>The service name spans carry unless <c>OTEL_SERVICE_NAME</c> names another.</summary>
    public const string DefaultServiceName = "guardrail-gateway";

    // Probes and scrapes would bury the requests worth reading.
    private static readonly string[] UntracedPaths = ["/healthz", "/readyz", "/metrics"];

    public static WebApplicationBuilder AddGuardrailTracing(this WebApplicationBuilder builder, TracingConfiguration? tracing)
    {
        // The request's trace id in the scope of every log line of the request (JSON logs write scopes), traced or not.
        builder.Logging.Configure(static logging => logging.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (tracing is null)
        {
            // No listener on the gateway's sources: StartActivity returns null and a span costs nothing.
            return builder;
        }

        builder.Services.Configure<SimpleConsoleFormatterOptions>(static console => console.IncludeScopes = true);
        var serviceNamed = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (!serviceNamed)
                {
                    resource.AddService(DefaultServiceName);
                }
            })
            .WithTracing(traces =>
            {
                traces.AddSource(GuardrailTracing.SourceName, ClassifierTracing.SourceName)
                    .AddAspNetCoreInstrumentation(static aspNetCore => aspNetCore.Filter = static context =>
                        !UntracedPaths.Any(path => context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase)))
                    .AddHttpClientInstrumentation()
                    .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(tracing.SampleRatio)))
                    .AddOtlpExporter(otlp =>
                    {
                        if (tracing.Endpoint is { } endpoint)
                        {
                            otlp.Endpoint = endpoint;
                        }

                        if (tracing.Protocol is { } protocol)
                        {
                            otlp.Protocol = protocol;
                        }
                    });
            });
        return builder;
    }
}
