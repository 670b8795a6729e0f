using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.Net.Http.Headers;

namespace Guardrail.Gateway.Admin.Review;

/// <summary>
/// The review page's files (<c>Assets/review.html</c>, <c>review.js</c>, <c>review.css</c>, <c>favicon.svg</c>),
/// compiled into the gateway as embedded resources and read once, when the endpoints are mapped at start-up. The
/// project file names each file, so a missing one fails the build; a resource that is still missing fails start-up
/// with its name, never a reviewer's request.
/// </summary>
internal sealed class ReviewPageAssets
{
    /// <summary>The manifest name of an asset is this prefix and its file name (the project file sets it).</summary>
    public const string ResourcePrefix = "Guardrail.Gateway.Admin.Review.Assets.";

    /// <summary>The page's markup; <c>{{BASE}}</c> stands for the request's path base.</summary>
    public const string PageName = "review.html";

    private const string BasePlaceholder = "{{BASE}}";

    /// <summary>The static files and their media types. The favicon is there so that the browser's request for it
    /// is answered instead of logged as a 404.</summary>
    public static readonly IReadOnlyList<(string Name, string ContentType)> StaticFiles =
    [
        ("review.js", "text/javascript; charset=utf-8"),
        ("review.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ];

    private readonly string _template;

    private ReviewPageAssets(string template, IReadOnlyList<ReviewPageAsset> files)
    {
        _template = template;
        Files = files;
    }

    /// <summary>The script, styles and icon, served as they are.</summary>
    public IReadOnlyList<ReviewPageAsset> Files { get; }

    /// <summary>Reads every asset from <paramref name="assembly"/> (the gateway's own by default).</summary>
    /// <exception cref="InvalidOperationException">An asset is not embedded in the assembly.</exception>
    public static ReviewPageAssets Load(Assembly? assembly = null)
    {
        assembly ??= typeof(ReviewPageAssets).Assembly;
        var template = Encoding.UTF8.GetString(Read(assembly, PageName));
        var files = StaticFiles.Select(file =>
        {
            var content = Read(assembly, file.Name);
            // Strong: the bytes are exactly these. Sixteen bytes of SHA-256 is plenty to tell two builds apart.
            var tag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 16)) + "\"");
            return new ReviewPageAsset(file.Name, file.ContentType, content, tag);
        }).ToList();
        return new ReviewPageAssets(template, files);
    }

    /// <summary>The page for a request under <paramref name="pathBase"/>. The path base comes from the host's
    /// configuration, but it is HTML-encoded all the same.</summary>
    public byte[] RenderPage(PathString pathBase) =>
        Encoding.UTF8.GetBytes(_template.Replace(BasePlaceholder, HtmlEncoder.Default.Encode(pathBase.Value ?? ""), StringComparison.Ordinal));

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(ResourcePrefix + name) ?? throw new InvalidOperationException(
            $"The review page's file '{name}' is not embedded in {assembly.GetName().Name} (resource '{ResourcePrefix}{name}'): " +
            "build the gateway from a complete checkout (src/Guardrail.Gateway/Admin/Review/Assets).");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        // A byte order mark that an editor may add would be served as text before the markup: drop it.
        var bytes = copy.ToArray();
        return bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? bytes[Encoding.UTF8.Preamble.Length..] : bytes;
    }
}
