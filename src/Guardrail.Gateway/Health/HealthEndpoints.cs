using System.Text.Encodings.Web;
using System.Text.Json;
using Guardrail.Gateway.Metrics;

namespace Guardrail.Gateway.Health;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (it can serve traffic). Neither needs a key.</summary>
internal static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    private static readonly IReadOnlyDictionary<string, string> EmptyFacts = new Dictionary<string, string>(StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapGuardrailHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(LivenessPath, static () => Results.Text("ok\n", "text/plain")).AllowAnonymous().WithMetadata(new GatewayRouteName("healthz"));
        endpoints.MapGet(ReadinessPath, static (GatewayReadiness readiness) => WriteReadiness(readiness)).AllowAnonymous().WithMetadata(new GatewayRouteName("readyz"));
        return endpoints;
    }

    private static IResult WriteReadiness(GatewayReadiness readiness)
    {
        var ready = readiness.IsReady;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("status", ready ? "ready" : "not_ready");
            writer.WriteStartArray("checks");
            foreach (var check in readiness.Checks.OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                writer.WriteStartObject();
                writer.WriteString("name", check.Name);
                writer.WriteString("status", check.Ready ? "ready" : "not_ready");
                writer.WriteString("detail", check.Detail);
                foreach (var (name, value) in check.Facts ?? EmptyFacts)
                {
                    writer.WriteString(name, value);
                }

                writer.WriteStartArray("warnings");
                foreach (var warning in check.Warnings)
                {
                    writer.WriteStringValue(warning);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Results.Text(
            buffer.ToArray(),
            "application/json",
            statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
