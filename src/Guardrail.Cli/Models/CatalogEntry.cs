namespace Guardrail.Cli.Models;

/// <summary>
/// One model of the catalogue (<c>catalog.json</c>): a GGUF file at a pinned revision of a Hugging Face repository,
/// with the SHA-256 its page states and where that was read.
/// </summary>
internal sealed record CatalogEntry
{
    /// <summary>The name users type, e.g. <c>llama-guard-3-1b</c>.</summary>
    public required string Name { get; init; }

    /// <summary><c>guard</c> (a Llama Guard classifier) or <c>instruct</c> (a generation model).</summary>
    public required string Role { get; init; }

    /// <summary>One of the two models (a guard and an instruct model) a one-box start pulls.</summary>
    public bool Default { get; init; }

    public required string Description { get; init; }

    /// <summary>The Hugging Face repository, <c>owner/name</c>.</summary>
    public required string Repository { get; init; }

    /// <summary>The commit the file and its checksum were read at (40 hex digits).</summary>
    public required string Revision { get; init; }

    /// <summary>The file's path in the repository; also its name in the models directory.</summary>
    public required string File { get; init; }

    public required string Quantization { get; init; }

    /// <summary>The size the page shows (for people; the download's own length is what is checked).</summary>
    public required string Size { get; init; }

    /// <summary>The file's SHA-256 as its page states it (64 lowercase hex digits).</summary>
    public required string Sha256 { get; init; }

    /// <summary>The stored pages the entry was read from.</summary>
    public required IReadOnlyList<string> Source { get; init; }

    /// <summary>The name the file has in the models directory.</summary>
    public string FileName => Path.GetFileName(File);
}
