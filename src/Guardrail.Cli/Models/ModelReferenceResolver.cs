using System.Globalization;

namespace Guardrail.Cli.Models;

/// <summary>
/// Turns what a user typed after <c>model pull</c> into a <see cref="ModelSource"/>: a catalogue name, an
/// <c>https://</c> URL, or a Hugging Face reference <c>owner/repo/file.gguf</c>, in that order of precedence.
/// </summary>
internal static class ModelReferenceResolver
{
    /// <summary>Options of one pull that shape how a reference resolves.</summary>
    public sealed record PullArguments(string? Revision, string? Sha256, string? Name);

    /// <summary>Resolves <paramref name="reference"/>.</summary>
    /// <exception cref="ModelUsageException">The reference or the options do not make sense; the message lists why.</exception>
    public static ModelSource Resolve(string reference, PullArguments arguments, ModelCatalog catalog, Uri huggingFaceEndpoint)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(huggingFaceEndpoint);

        var problems = new List<string>();
        var sha256 = arguments.Sha256?.Trim().ToLowerInvariant();
        if (sha256 is not null && !(sha256.Length == 64 && sha256.All(char.IsAsciiHexDigit)))
        {
            problems.Add($"--sha256 must be 64 hex digits (the output of sha256sum), not '{arguments.Sha256}'.");
        }

        if (arguments.Name is not null && !ModelDirectory.IsValidFileName(arguments.Name))
        {
            problems.Add($"--name '{arguments.Name}' must be a plain file name ending in .gguf (no folders, not starting with '.').");
        }

        if (arguments.Revision is not null && !HuggingFaceReference.IsRevision(arguments.Revision))
        {
            problems.Add($"--revision '{arguments.Revision}' is not a branch, tag or commit name.");
        }

        ModelSource? source = null;
        if (catalog.Find(reference) is { } entry)
        {
            if (arguments.Revision is not null)
            {
                problems.Add($"'{entry.Name}' is pinned to revision {entry.Revision}, the one its checksum was read at; to fetch another revision, pull {entry.Repository}/{entry.File} --revision {arguments.Revision}.");
            }

            if (arguments.Name is not null)
            {
                problems.Add($"Catalogue models keep their file name ({entry.FileName}) so that 'model path' and 'model list' find them; pull {entry.Repository}/{entry.File} to choose another name.");
            }

            if (sha256 is not null && !string.Equals(sha256, entry.Sha256, StringComparison.Ordinal))
            {
                problems.Add($"--sha256 {sha256} differs from the catalogue's {entry.Sha256} for '{entry.Name}'.");
            }

            var huggingFace = new HuggingFaceReference(entry.Repository, entry.File, entry.Revision);
            source = new ModelSource
            {
                Url = huggingFace.ResolveUrl(huggingFaceEndpoint),
                FileName = entry.FileName,
                Sha256 = entry.Sha256,
                Entry = entry,
                HuggingFace = huggingFace,
                HuggingFaceEndpoint = huggingFaceEndpoint,
            };
        }
        else if (reference.Contains("://", StringComparison.Ordinal))
        {
            source = ResolveUrl(reference, arguments, sha256, huggingFaceEndpoint, problems);
        }
        else if (HuggingFaceReference.TryParse(reference, arguments.Revision) is { } huggingFace)
        {
            var fileName = arguments.Name ?? Path.GetFileName(huggingFace.FilePath);
            if (arguments.Name is null && !ModelDirectory.IsValidFileName(fileName))
            {
                problems.Add($"'{fileName}' does not end in .gguf; give the name to save it under with --name NAME.gguf.");
            }

            source = new ModelSource
            {
                Url = huggingFace.ResolveUrl(huggingFaceEndpoint),
                FileName = fileName,
                Sha256 = sha256,
                HuggingFace = huggingFace,
                HuggingFaceEndpoint = huggingFaceEndpoint,
            };
        }
        else
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"'{reference}' is not a catalogue name ({string.Join(", ", catalog.Entries.Select(e => e.Name))}), a Hugging Face reference (owner/repo/file.gguf) or an https:// URL."));
        }

        if (problems.Count > 0)
        {
            throw new ModelUsageException(problems);
        }

        return source!;
    }

    private static ModelSource? ResolveUrl(string reference, PullArguments arguments, string? sha256, Uri huggingFaceEndpoint, List<string> problems)
    {
        if (!Uri.TryCreate(reference, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            problems.Add($"'{reference}' is not an http(s) URL.");
            return null;
        }

        if (!TransportPolicy.IsAllowed(url))
        {
            problems.Add($"{ModelSource.DisplayUrl(url)} is plain http: models are fetched over https only (http is accepted for loopback addresses).");
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            problems.Add("A URL with a user name or password is refused: credentials in a URL end up in shell history and logs. Use --token for Hugging Face.");
        }

        if (arguments.Revision is not null)
        {
            problems.Add("--revision applies to Hugging Face references (owner/repo/file.gguf), not to URLs.");
        }

        var fileName = arguments.Name ?? Uri.UnescapeDataString(url.Segments[^1]);
        if (arguments.Name is null && !ModelDirectory.IsValidFileName(fileName))
        {
            problems.Add($"The URL does not end in a .gguf file name; give the name to save it under with --name NAME.gguf.");
        }

        return new ModelSource
        {
            Url = url,
            FileName = fileName,
            Sha256 = sha256,
            HuggingFaceEndpoint = huggingFaceEndpoint,
        };
    }
}
