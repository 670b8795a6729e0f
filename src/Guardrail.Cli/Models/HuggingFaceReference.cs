using System.Text.RegularExpressions;

namespace Guardrail.Cli.Models;

/// <summary>
/// A file in a Hugging Face repository at a revision: <c>owner/repo/path/to/file.gguf</c>. It resolves to
/// <c>{endpoint}/{owner}/{repo}/resolve/{revision}/{path}</c>, the URL huggingface_hub downloads from, with the
/// endpoint taken from <c>HF_ENDPOINT</c> as huggingface_hub does (so a mirror, or a test's loopback server, can
/// stand in for huggingface.co).
/// </summary>
internal sealed partial record HuggingFaceReference(string Repository, string FilePath, string Revision)
{
    /// <summary>The public Hub, used when <c>HF_ENDPOINT</c> is not set.</summary>
    public static readonly Uri DefaultEndpoint = new("https://huggingface.co");

    public const string EndpointVariable = "HF_ENDPOINT";

    public const string DefaultRevision = "main";

    /// <summary>The download URL under <paramref name="endpoint"/>.</summary>
    public Uri ResolveUrl(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);

        // Like huggingface_hub: the revision is one path segment (refs/pr/1 becomes refs%2Fpr%2F1), the file keeps its
        // folders.
        var file = string.Join('/', FilePath.Split('/').Select(Uri.EscapeDataString));
        var baseText = endpoint.AbsoluteUri.TrimEnd('/');
        return new Uri($"{baseText}/{Repository}/resolve/{Uri.EscapeDataString(Revision)}/{file}");
    }

    /// <summary>The page a person opens to read the model card or accept its licence.</summary>
    public Uri PageUrl(Uri endpoint) => new($"{endpoint.AbsoluteUri.TrimEnd('/')}/{Repository}");

    public override string ToString() => $"{Repository}/{FilePath} at revision {Revision}";

    /// <summary>Parses <c>owner/repo/file.gguf</c> (the file may sit in folders); null when the text is not of that form.</summary>
    public static HuggingFaceReference? TryParse(string reference, string? revision)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var parts = reference.Split('/');
        if (parts.Length < 3)
        {
            return null;
        }

        var repository = parts[0] + "/" + parts[1];
        var file = string.Join('/', parts[2..]);
        return IsRepositoryId(repository) && IsFilePath(file)
            ? new HuggingFaceReference(repository, file, string.IsNullOrEmpty(revision) ? DefaultRevision : revision)
            : null;
    }

    /// <summary>Whether <paramref name="text"/> is an <c>owner/name</c> repository id as the Hub allows them.</summary>
    public static bool IsRepositoryId(string text) => RepositoryPattern().IsMatch(text) && !text.Contains("..", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="text"/> is a relative file path with no empty, <c>.</c> or <c>..</c> segment.</summary>
    public static bool IsFilePath(string text) =>
        text.Length > 0 && !text.Contains('\\', StringComparison.Ordinal)
        && text.Split('/').All(s => s.Length > 0 && s is not ("." or "..") && !s.Any(char.IsControl));

    /// <summary>Whether <paramref name="revision"/> can be a branch, tag or commit name.</summary>
    public static bool IsRevision(string revision) =>
        revision.Length is > 0 and <= 255 && !revision.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
        && !revision.Contains("..", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RepositoryPattern();
}
