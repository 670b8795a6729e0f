namespace Guardrail.Cli.Models;

/// <summary>What one <c>model pull</c> reference resolved to: where to fetch, what to call the file, what to expect.</summary>
internal sealed record ModelSource
{
    /// <summary>The first URL requested; redirects are followed from it.</summary>
    public required Uri Url { get; init; }

    /// <summary>The file's name in the models directory.</summary>
    public required string FileName { get; init; }

    /// <summary>The SHA-256 the file must have (from <c>--sha256</c> or the catalogue), or null.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The catalogue entry this is, or null.</summary>
    public CatalogEntry? Entry { get; init; }

    /// <summary>The Hugging Face file this is, or null for a plain URL.</summary>
    public HuggingFaceReference? HuggingFace { get; init; }

    /// <summary>The Hugging Face endpoint in effect (<c>HF_ENDPOINT</c> or huggingface.co).</summary>
    public required Uri HuggingFaceEndpoint { get; init; }

    /// <summary>
    /// The only origin (scheme, host, port) the Hugging Face token is ever sent to: the endpoint's. A redirect to any
    /// other origin (Hugging Face's CDN, with a signed URL) is requested without it.
    /// </summary>
    public Uri TokenOrigin => HuggingFaceEndpoint;

    /// <summary>How messages name the source: the Hugging Face reference, or the URL without its query (which may hold a signature).</summary>
    public string Description => HuggingFace?.ToString() ?? DisplayUrl(Url);

    /// <summary>A URL as it may be shown: scheme, host, port and path, never the query or user information.</summary>
    public static string DisplayUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.GetLeftPart(UriPartial.Path);
    }
}
