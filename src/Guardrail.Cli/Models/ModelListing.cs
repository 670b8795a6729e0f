using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Guardrail.Cli.Models;

/// <summary>The tables and JSON documents of <c>model list</c> and <c>model catalog</c>.</summary>
internal static class ModelListing
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>One row of <c>model list</c>.</summary>
    public sealed record ListedModel(
        string Name,
        string Path,
        bool Complete,
        long? SizeBytes,
        long? PartialBytes,
        string? Architecture,
        long? Parameters,
        string? SizeLabel,
        string? Quantization,
        string? Catalogue,
        bool Default,
        bool Usable,
        IReadOnlyList<string> Problems);

    /// <summary>One row of <c>model catalog</c>.</summary>
    public sealed record ListedEntry(
        string Name,
        string Role,
        bool Default,
        string Repository,
        string Revision,
        string File,
        string Quantization,
        string Size,
        string Sha256,
        string Path,
        bool Present,
        IReadOnlyList<string> Source);

    /// <summary>Describes what is in <paramref name="directory"/>.</summary>
    public static IReadOnlyList<ListedModel> List(ModelDirectory directory, ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(catalog);
        return [.. directory.List().Select(item =>
        {
            var entry = catalog.FindByFileName(item.Name);
            if (!item.Complete)
            {
                return new ListedModel(item.Name, item.Path, false, null, item.PartialBytes, null, null, null, null, entry?.Name, entry?.Default ?? false, false, ["download not finished"]);
            }

            var model = ModelFileVerifier.Describe(item.Path);
            return new ListedModel(
                item.Name,
                item.Path,
                true,
                model.FileSize,
                item.PartialBytes,
                model.Architecture,
                model.TensorCount > 0 ? model.Parameters : null,
                model.SizeLabel,
                model.Quantization,
                entry?.Name,
                entry?.Default ?? false,
                model.IsUsable,
                model.Problems);
        })];
    }

    public static string ListText(IReadOnlyList<ListedModel> models, ModelDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(directory);
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"{directory.Path}:").Append('\n');
        if (models.Count == 0)
        {
            builder.Append("  (no models; 'guardrail model pull <name>' fetches one, 'guardrail model catalog' lists names)\n");
            return builder.ToString();
        }

        var rows = new List<string[]> { new[] { "NAME", "SIZE", "ARCH", "PARAMS", "QUANT", "CATALOGUE" } };
        var notes = new Dictionary<int, string>();
        foreach (var model in models)
        {
            var catalogue = model.Catalogue is null ? "-" : model.Default ? $"{model.Catalogue} (default)" : model.Catalogue;
            if (!model.Complete)
            {
                notes[rows.Count] = string.Create(CultureInfo.InvariantCulture, $"downloading: {ModelFileDescription.FormatBytes(model.PartialBytes ?? 0)} so far; 'model pull' again resumes it");
                rows.Add([model.Name, "-", "-", "-", "-", catalogue]);
                continue;
            }

            var parameters = model.Parameters is { } p ? ModelFileDescription.FormatParameters(p) : "-";
            if (model.SizeLabel is not null && model.Parameters is not null)
            {
                parameters += $" ({model.SizeLabel})";
            }

            rows.Add([model.Name, ModelFileDescription.FormatBytes(model.SizeBytes ?? 0), model.Architecture ?? "-", parameters, model.Quantization ?? "-", catalogue]);
            if (!model.Usable)
            {
                notes[rows.Count - 1] = "not usable: " + string.Join("; ", model.Problems);
            }
            else if (model.PartialBytes is not null)
            {
                notes[rows.Count - 1] = "a newer download of it is in progress ('model pull --force' resumes it)";
            }
        }

        AppendTable(builder, rows, notes);
        return builder.ToString();
    }

    public static IReadOnlyList<ListedEntry> Catalog(ModelCatalog catalog, ModelDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(directory);
        return [.. catalog.Entries.Select(e =>
        {
            var path = directory.FilePath(e.FileName);
            return new ListedEntry(e.Name, e.Role, e.Default, e.Repository, e.Revision, e.File, e.Quantization, e.Size, e.Sha256, path, File.Exists(path), e.Source);
        })];
    }

    public static string CatalogText(IReadOnlyList<ListedEntry> entries, ModelCatalog catalog, ModelDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(directory);
        var builder = new StringBuilder();
        var rows = new List<string[]> { new[] { "NAME", "ROLE", "DEFAULT", "QUANT", "SIZE", "PULLED", "FROM" } };
        rows.AddRange(entries.Select(e => new[]
        {
            e.Name, e.Role, e.Default ? "yes" : "-", e.Quantization, e.Size, e.Present ? "yes" : "-", $"{e.Repository}/{e.File}",
        }));
        AppendTable(builder, rows, new Dictionary<int, string>());
        builder.Append(CultureInfo.InvariantCulture, $"Models directory: {directory.Path}").Append('\n');
        builder.Append(CultureInfo.InvariantCulture, $"Entries checked against their Hugging Face pages on {catalog.CheckedOn}; revisions and SHA-256 are pinned ('model catalog --json' shows them and their sources).").Append('\n');
        return builder.ToString();
    }

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Json) + "\n";

    private static void AppendTable(StringBuilder builder, List<string[]> rows, Dictionary<int, string> notes)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].Select((cell, c) => c == rows[r].Length - 1 ? cell : cell.PadRight(widths[c]));
            builder.Append("  ").Append(string.Join("  ", cells).TrimEnd()).Append('\n');
            if (notes.TryGetValue(r, out var note))
            {
                builder.Append("    ").Append(note).Append('\n');
            }
        }
    }
}
