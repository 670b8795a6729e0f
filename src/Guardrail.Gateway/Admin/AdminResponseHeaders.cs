namespace Guardrail.Gateway.Admin;

/// <summary>Headers every admin response carries: decisions hold other people's conversations, so nothing is cached,
/// nothing is sniffed into another type, and nothing is framed.</summary>
internal static class AdminResponseHeaders
{
    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
    }
}
