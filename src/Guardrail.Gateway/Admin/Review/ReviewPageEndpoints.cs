using Guardrail.Gateway.Metrics;

namespace Guardrail.Gateway.Admin.Review;

/// <summary>
/// Serves the review page (<c>/admin/review</c>) and its script, styles and icon, from the files under <c>Assets/</c>
/// (<see cref="ReviewPageAssets"/>). The page holds no data and opens without a key; it asks for the admin key and
/// calls the admin API with it. Decisions hold hostile text, so the page runs
/// under a Content-Security-Policy that allows scripts, styles and requests from the gateway only, with no inline
/// script or style, and cannot be framed.
/// </summary>
internal static class ReviewPageEndpoints
{
    public const string Path = "/admin/review";

    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    public static IEndpointRouteBuilder MapReviewPage(this IEndpointRouteBuilder endpoints)
    {
        // Read once, here at start-up: a missing asset stops the gateway instead of failing a reviewer's request.
        var assets = ReviewPageAssets.Load();
        var name = new GatewayRouteName("admin_review");
        endpoints.MapGet(Path, context => WriteAsync(context, assets.RenderPage(context.Request.PathBase), "text/html; charset=utf-8")).AllowAnonymous().WithMetadata(name);
        foreach (var asset in assets.Files)
        {
            endpoints.MapGet(Path + "/" + asset.Name, context => WriteAssetAsync(context, asset)).AllowAnonymous().WithMetadata(name);
        }

        return endpoints;
    }

    /// <summary>A static file: the same headers as the page, except that the browser may keep it and ask again with its
    /// ETag (304 when unchanged). It holds no data, and <c>no-cache</c> still revalidates every time, so a new gateway
    /// version is picked up at once.</summary>
    private static Task WriteAssetAsync(HttpContext context, ReviewPageAsset asset)
    {
        ApplyHeaders(context.Response);
        context.Response.Headers.CacheControl = "no-cache";
        return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag).ExecuteAsync(context);
    }

    private static Task WriteAsync(HttpContext context, byte[] body, string contentType)
    {
        var response = context.Response;
        ApplyHeaders(response);
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static void ApplyHeaders(HttpResponse response)
    {
        AdminResponseHeaders.Apply(response);
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
}
