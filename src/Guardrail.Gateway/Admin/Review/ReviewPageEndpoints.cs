using System.Text;
using System.Text.Encodings.Web;
using Guardrail.Gateway.Metrics;

namespace Guardrail.Gateway.Admin.Review;

/// <summary>
/// Serves the review page (<c>/admin/review</c>) and its script and styles. The page holds no data and opens without
/// a key; it asks for the admin key and calls the admin API with it. Decisions hold hostile text, so the page runs
/// under a Content-Security-Policy that allows scripts, styles and requests from the gateway only, with no inline
/// script or style, and cannot be framed.
/// </summary>
internal static class ReviewPageEndpoints
{
    public const string Path = "/admin/review";

    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly byte[] Script = Encoding.UTF8.GetBytes(ReviewPageScript.Source);
    private static readonly byte[] Styles = Encoding.UTF8.GetBytes(ReviewPageStyles.Source);

    // A plain shield, so that the browser's favicon request is answered instead of logged as a 404.
    private static readonly byte[] Icon = Encoding.UTF8.GetBytes(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><path d=\"M8 1 2 3v5c0 3.5 2.6 6 6 7 3.4-1 6-3.5 6-7V3z\" fill=\"#0b5cad\"/></svg>");

    public static IEndpointRouteBuilder MapReviewPage(this IEndpointRouteBuilder endpoints)
    {
        var name = new GatewayRouteName("admin_review");
        endpoints.MapGet(Path, static context =>
        {
            // The path base is the only part of the page that varies; it comes from the host's configuration, but it is
            // encoded all the same.
            var html = ReviewPageHtml.Template.Replace("{{BASE}}", HtmlEncoder.Default.Encode(context.Request.PathBase.Value ?? ""), StringComparison.Ordinal);
            return WriteAsync(context, Encoding.UTF8.GetBytes(html), "text/html; charset=utf-8");
        }).WithMetadata(name);
        endpoints.MapGet(Path + "/review.js", static context => WriteAsync(context, Script, "text/javascript; charset=utf-8")).WithMetadata(name);
        endpoints.MapGet(Path + "/review.css", static context => WriteAsync(context, Styles, "text/css; charset=utf-8")).WithMetadata(name);
        endpoints.MapGet(Path + "/favicon.svg", static context => WriteAsync(context, Icon, "image/svg+xml")).WithMetadata(name);
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, byte[] body, string contentType)
    {
        var response = context.Response;
        AdminResponseHeaders.Apply(response);
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
