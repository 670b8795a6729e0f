using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Guardrail.Cli.Models;

/// <summary>
/// The names <c>guardrail model pull</c> knows, read from <c>catalog.json</c> (an embedded resource: the catalogue is
/// data, edited without touching code). Every entry is validated when the catalogue is loaded, all problems at once.
/// </summary>
internal sealed partial class ModelCatalog
{
    private const string ResourceName = "Guardrail.Cli.Models.catalog.json";

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly Lazy<ModelCatalog> EmbeddedCatalog = new(LoadEmbedded);

    private ModelCatalog(string checkedOn, IReadOnlyList<CatalogEntry> entries)
    {
        CheckedOn = checkedOn;
        Entries = entries;
    }

    /// <summary>The catalogue shipped with the tool.</summary>
    public static ModelCatalog Embedded => EmbeddedCatalog.Value;

    /// <summary>The date the entries were checked against their pages.</summary>
    public string CheckedOn { get; }

    public IReadOnlyList<CatalogEntry> Entries { get; }

    /// <summary>The default entries for a one-box start: one guard and one instruct model.</summary>
    public IReadOnlyList<CatalogEntry> Defaults => [.. Entries.Where(e => e.Default)];

    public CatalogEntry? Find(string name) =>
        Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The entry whose file has this name in the models directory, or null.</summary>
    public CatalogEntry? FindByFileName(string fileName) =>
        Entries.FirstOrDefault(e => string.Equals(e.FileName, fileName, StringComparison.Ordinal));

    /// <summary>Parses and validates a catalogue document.</summary>
    /// <exception cref="FormatException">The document is not a valid catalogue; the message lists every problem.</exception>
    public static ModelCatalog Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        CatalogDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<CatalogDocument>(json, SerializerOptions);
        }
        catch (JsonException error)
        {
            throw new FormatException($"The model catalogue is not valid JSON: {error.Message}", error);
        }

        if (document?.Models is null || document.Checked is null)
        {
            throw new FormatException("The model catalogue needs 'checked' and 'models'.");
        }

        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var files = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Models.Count; i++)
        {
            var entry = document.Models[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"models[{i}] ({entry.Name ?? "unnamed"})");
            problems.AddRange(Validate(entry).Select(p => $"{at}: {p}"));
            if (entry.Name is not null && !names.Add(entry.Name))
            {
                problems.Add($"{at}: the name appears twice.");
            }

            if (entry.File is not null && !files.Add(Path.GetFileName(entry.File)))
            {
                problems.Add($"{at}: another entry has the same file name; each must have its own place in the models directory.");
            }
        }

        foreach (var role in new[] { "guard", "instruct" })
        {
            var defaults = document.Models.Count(m => m.Default && string.Equals(m.Role, role, StringComparison.Ordinal));
            if (defaults != 1)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"exactly one '{role}' entry must be the default (found {defaults})."));
            }
        }

        if (problems.Count > 0)
        {
            throw new FormatException("The model catalogue is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }

        return new ModelCatalog(document.Checked, [.. document.Models.Select(m => new CatalogEntry
        {
            Name = m.Name!,
            Role = m.Role!,
            Default = m.Default,
            Description = m.Description!,
            Repository = m.Repository!,
            Revision = m.Revision!,
            File = m.File!,
            Quantization = m.Quantization!,
            Size = m.Size!,
            Sha256 = m.Sha256!,
            Source = m.Source!,
        })]);
    }

    private static IEnumerable<string> Validate(CatalogModel entry)
    {
        if (entry.Name is null || !NamePattern().IsMatch(entry.Name))
        {
            yield return "'name' must be lowercase letters, digits, '.' and '-'.";
        }

        if (entry.Role is not ("guard" or "instruct"))
        {
            yield return "'role' must be 'guard' or 'instruct'.";
        }

        if (string.IsNullOrWhiteSpace(entry.Description))
        {
            yield return "'description' is missing.";
        }

        if (entry.Repository is null || !HuggingFaceReference.IsRepositoryId(entry.Repository))
        {
            yield return "'repository' must be a Hugging Face repository id, owner/name.";
        }

        if (entry.Revision is null || !CommitPattern().IsMatch(entry.Revision))
        {
            yield return "'revision' must be a full commit id (40 hex digits), so that the file cannot change under its checksum.";
        }

        if (entry.File is null || !entry.File.EndsWith(".gguf", StringComparison.Ordinal) || !HuggingFaceReference.IsFilePath(entry.File))
        {
            yield return "'file' must be a path in the repository ending in .gguf.";
        }

        if (string.IsNullOrWhiteSpace(entry.Quantization) || string.IsNullOrWhiteSpace(entry.Size))
        {
            yield return "'quantization' and 'size' are required.";
        }

        if (entry.Sha256 is null || !Sha256Pattern().IsMatch(entry.Sha256))
        {
            yield return "'sha256' must be 64 lowercase hex digits.";
        }

        if (entry.Source is not { Count: > 0 } || entry.Source.Any(s => !s.StartsWith("https://huggingface.co/", StringComparison.Ordinal)))
        {
            yield return "'source' must list the Hugging Face pages the entry was read from.";
        }
    }

    private static ModelCatalog LoadEmbedded()
    {
        using var stream = typeof(ModelCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{ResourceName}' is missing from the build.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]*$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9a-f]{40}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CommitPattern();

    [GeneratedRegex("^[0-9a-f]{64}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Sha256Pattern();

    private sealed record CatalogDocument(string? Checked, string? About, IReadOnlyList<CatalogModel>? Models);

    private sealed record CatalogModel(
        string? Name,
        string? Role,
        bool Default,
        string? Description,
        string? Repository,
        string? Revision,
        string? File,
        string? Quantization,
        string? Size,
        string? Sha256,
        IReadOnlyList<string>? Source);
}
