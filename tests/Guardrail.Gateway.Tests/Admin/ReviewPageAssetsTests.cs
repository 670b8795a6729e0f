using System.Text;
using System.Text.RegularExpressions;
using Guardrail.Gateway.Admin.Review;
using Microsoft.AspNetCore.Http;

namespace Guardrail.Gateway.Tests.Admin;

/// <summary>The review page's files as the gateway embeds them: all there, the same as the checkout's, linked from the
/// page, and a missing one caught at start-up.</summary>
public sealed partial class ReviewPageAssetsTests
{
    private static readonly string SourceFolder = Path.Combine(RepositoryRoot.Path, "src", "Guardrail.Gateway", "Admin", "Review", "Assets");

    [Fact]
    public void Load_GatewayAssembly_EmbedsExactlyThePageAndTheFilesItServes()
    {
        var assembly = typeof(ReviewPageAssets).Assembly;

        var embedded = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ReviewPageAssets.ResourcePrefix, StringComparison.Ordinal))
            .Select(n => n[ReviewPageAssets.ResourcePrefix.Length..]);

        var expected = ReviewPageAssets.StaticFiles.Select(f => f.Name).Append(ReviewPageAssets.PageName);
        Assert.Equal(expected.Order(StringComparer.Ordinal), embedded.Order(StringComparer.Ordinal));
        Assert.Equal(expected.Order(StringComparer.Ordinal), Directory.GetFiles(SourceFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_EveryFile_IsTheCheckoutsFileByteForByte()
    {
        var assets = ReviewPageAssets.Load();

        foreach (var asset in assets.Files)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(SourceFolder, asset.Name)), asset.Content.ToArray());
        }

        var page = File.ReadAllText(Path.Combine(SourceFolder, ReviewPageAssets.PageName));
        Assert.Equal(page.Replace("{{BASE}}", "", StringComparison.Ordinal), Encoding.UTF8.GetString(assets.RenderPage(PathString.Empty)));
    }

    [Fact]
    public void RenderPage_LinksEveryServedFileAndNothingElse()
    {
        var assets = ReviewPageAssets.Load();

        var html = Encoding.UTF8.GetString(assets.RenderPage(new PathString("/guard")));

        var linked = AssetLink().Matches(html).Select(m => m.Groups["name"].Value);
        Assert.Equal(assets.Files.Select(f => f.Name).Order(StringComparer.Ordinal), linked.Order(StringComparer.Ordinal));
        Assert.Contains("<meta name=\"guardrail-base\" content=\"/guard\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderPage_PathBaseWithMarkup_IsHtmlEncodedEverywhere()
    {
        var assets = ReviewPageAssets.Load();

        var html = Encoding.UTF8.GetString(assets.RenderPage(new PathString("/a\"><script>x</script>")));

        Assert.DoesNotContain("{{BASE}}", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>x", html, StringComparison.Ordinal);
        Assert.Contains("/a&quot;&gt;&lt;script&gt;x&lt;/script&gt;/admin/review/review.js", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AssemblyWithoutTheFiles_FailsNamingTheMissingOne()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ReviewPageAssets.Load(typeof(object).Assembly));

        Assert.Contains("'review.html'", error.Message, StringComparison.Ordinal);
        Assert.Contains(ReviewPageAssets.ResourcePrefix + "review.html", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ETags_DifferPerFileAndAreStrong()
    {
        var assets = ReviewPageAssets.Load();

        Assert.Equal(assets.Files.Count, assets.Files.Select(f => f.ETag.Tag.ToString()).Distinct(StringComparer.Ordinal).Count());
        Assert.All(assets.Files, f => Assert.False(f.ETag.IsWeak));
    }

    // Every reference from the page to a file of its own: href="…/admin/review/NAME" or src="…".
    [GeneratedRegex(@"(?:href|src)=""[^""]*/admin/review/(?<name>[^""/]+)""", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AssetLink();
}
