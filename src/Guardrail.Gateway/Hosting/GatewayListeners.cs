using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Guardrail.Gateway.Hosting;

/// <summary>
/// The gateway's listeners are Kestrel's own: <c>Urls</c> (or <c>ASPNETCORE_URLS</c>), or named
/// <c>Kestrel:Endpoints:NAME</c> entries whose <c>Protocols</c> choose HTTP/1.1, HTTP/2 or both (HTTPS negotiates by
/// ALPN; plain text with <c>Http2</c> is h2c with prior knowledge). This adds the management listener
/// (<c>Guardrail:Metrics:ManagementUrl</c>) to whichever of the two the configuration uses.
/// </summary>
internal static class GatewayListeners
{
    /// <summary>The <c>Kestrel:Endpoints</c> name the management listener takes when the listeners are named there.</summary>
    public const string ManagementEndpointName = "GuardrailManagement";

    public static void AddManagementListener(WebApplicationBuilder builder, string managementUrl)
    {
        if (builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            // Kestrel binds only the named endpoints when there are any (it ignores Urls then), so the management
            // listener must be one of them. It speaks HTTP/1.1 only, as scrapers and probes do, whatever
            // Kestrel:EndpointDefaults:Protocols says for the others.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
            {
                [$"Kestrel:Endpoints:{ManagementEndpointName}:Url"] = managementUrl,
                [$"Kestrel:Endpoints:{ManagementEndpointName}:Protocols"] = nameof(HttpProtocols.Http1),
            });
            return;
        }

        var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
        builder.WebHost.UseUrls(string.IsNullOrWhiteSpace(urls) ? managementUrl : $"{urls};{managementUrl}");
    }
}
