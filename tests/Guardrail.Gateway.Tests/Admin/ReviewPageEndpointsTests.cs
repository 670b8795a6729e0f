using System.Net;
using System.Text.RegularExpressions;
using Guardrail.Gateway.Admin.Review;
using Guardrail.Gateway.Tests.Infrastructure;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>What the gateway serves for the review page, checked over HTTP (the browser test checks what it does).</summary>
public sealed partial class ReviewPageEndpointsTests : IClassFixture<AdminFixture>
{
    private readonly AdminFixture _fixture;

    public ReviewPageEndpointsTests(AdminFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Page_WithoutKey_IsServedUnderAStrictPolicyWithNoInlineScriptOrStyle()
    {
        using var client = _fixture.Gateway.CreateClient(key: null);

        using var response = await client.GetAsync("/admin/review");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotMatch(InlineStyle(), html);
        Assert.DoesNotContain(GatewayServer.AdminKey, html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/review/review.js", "text/javascript")]
    [InlineData("/admin/review/review.css", "text/css")]
    [InlineData("/admin/review/favicon.svg", "image/svg+xml")]
    public async Task Assets_AreServedWithTheirTypes(string path, string mediaType)
    {
        using var client = _fixture.Gateway.CreateClient(key: null);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal(ReviewPageEndpoints.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.True(response.Headers.CacheControl!.NoCache);
        Assert.NotNull(response.Headers.ETag);
        Assert.False(response.Headers.ETag.IsWeak);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task EveryEmbeddedAsset_IsServedUnderItsNameWithItsTypeTheCspAndItsExactBytes()
    {
        using var client = _fixture.Gateway.CreateClient(key: null);
        var assets = ReviewPageAssets.Load();

        foreach (var asset in assets.Files)
        {
            using var response = await client.GetAsync(ReviewPageEndpoints.Path + "/" + asset.Name);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(asset.ContentType, response.Content.Headers.ContentType!.ToString());
            Assert.Equal(ReviewPageEndpoints.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal(asset.ETag.Tag.ToString(), response.Headers.ETag!.Tag);
            Assert.Equal(asset.Content.ToArray(), await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Asset_RequestedAgainWithItsETag_Is304UnderTheSamePolicy()
    {
        using var client = _fixture.Gateway.CreateClient(key: null);
        using var first = await client.GetAsync("/admin/review/review.js");
        using var again = new HttpRequestMessage(HttpMethod.Get, "/admin/review/review.js");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        using var response = await client.SendAsync(again);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ReviewPageEndpoints.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Page_IsNeverStored()
    {
        using var client = _fixture.Gateway.CreateClient(key: null);

        using var response = await client.GetAsync("/admin/review");

        Assert.True(response.Headers.CacheControl!.NoStore);
        Assert.Null(response.Headers.ETag);
    }

    [Fact]
    public async Task Script_NeverParsesDecisionTextAsHtml()
    {
        using var client = _fixture.Gateway.CreateClient(key: null);

        var script = await client.GetStringAsync("/admin/review/review.js");

        Assert.DoesNotContain("innerHTML", script, StringComparison.Ordinal);
        Assert.DoesNotContain("outerHTML", script, StringComparison.Ordinal);
        Assert.DoesNotContain("insertAdjacentHTML", script, StringComparison.Ordinal);
        Assert.DoesNotContain("document.write", script, StringComparison.Ordinal);
        Assert.DoesNotContain("eval(", script, StringComparison.Ordinal);
    }

    // A <script> without src, an inline handler, a style element or a style attribute.
    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"<style[\s>]|\sstyle\s*=", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex InlineStyle();
}
