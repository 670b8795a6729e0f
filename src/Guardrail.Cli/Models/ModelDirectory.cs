using Guardrail.LlamaCpp.Native;

namespace Guardrail.Cli.Models;

/// <summary>
/// The folder downloaded models live in: <c>--models-dir</c>, else <c>GUARDRAIL_MODELS_DIR</c>, else
/// <c>&lt;cache&gt;/models</c> (the cache being <c>GUARDRAIL_CACHE_DIR</c> or <c>~/.cache/guardrail</c>). Files sit
/// directly in it, named as their source names them; a download in progress is <c>&lt;file&gt;.partial</c> with its
/// resume state in <c>&lt;file&gt;.partial.json</c>.
/// </summary>
internal sealed class ModelDirectory
{
    public const string DirectoryVariable = "GUARDRAIL_MODELS_DIR";
    public const string PartialSuffix = ".partial";
    public const string StateSuffix = ".partial.json";

    public ModelDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
    }

    /// <summary>The directory's full path (it may not exist yet).</summary>
    public string Path { get; }

    /// <summary>The directory in effect for an optional <c>--models-dir</c> and the environment.</summary>
    public static ModelDirectory Resolve(string? option, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(option))
        {
            return new ModelDirectory(option);
        }

        var configured = environment(DirectoryVariable);
        return new ModelDirectory(!string.IsNullOrWhiteSpace(configured)
            ? configured
            : System.IO.Path.Combine(NativeRuntimeLocator.CacheDirectory(), "models"));
    }

    /// <summary>Whether <paramref name="name"/> may be a model's file name here: no folders, no leading dot, ending in .gguf.</summary>
    public static bool IsValidFileName(string name) =>
        !string.IsNullOrWhiteSpace(name)
        && name.Length <= 255
        && name.EndsWith(".gguf", StringComparison.Ordinal)
        && name.Length > ".gguf".Length
        && !name.StartsWith('.')
        && name.IndexOfAny(['/', '\\', '\0']) < 0
        && !name.Any(char.IsControl);

    /// <summary>The full path of the file <paramref name="name"/> in this directory.</summary>
    /// <exception cref="ModelUsageException">The name would reach outside the directory or is not a model file name.</exception>
    public string FilePath(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidFileName(name))
        {
            throw new ModelUsageException(
                $"'{name}' is not a model in {Path}: give a file name as 'model list' shows it (ending in .gguf, without folders); paths outside the models directory are refused.");
        }

        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, name));

        // Belt and braces: the name check already excludes separators, so this only fails on a platform surprise.
        if (!string.Equals(System.IO.Path.GetDirectoryName(full), Path, StringComparison.Ordinal))
        {
            throw new ModelUsageException($"'{name}' resolves outside the models directory {Path}; refused.");
        }

        return full;
    }

    /// <summary>The model files (<c>*.gguf</c>) and downloads in progress, by name.</summary>
    public IReadOnlyList<ModelDirectoryItem> List()
    {
        if (!Directory.Exists(Path))
        {
            return [];
        }

        var items = new SortedDictionary<string, ModelDirectoryItem>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path))
        {
            var name = System.IO.Path.GetFileName(file);
            if (IsValidFileName(name))
            {
                items[name] = (items.GetValueOrDefault(name) ?? new ModelDirectoryItem(name, file)) with { Complete = true };
            }
            else if (name.EndsWith(".gguf" + PartialSuffix, StringComparison.Ordinal)
                && IsValidFileName(name[..^PartialSuffix.Length]))
            {
                var model = name[..^PartialSuffix.Length];
                items[model] = (items.GetValueOrDefault(model) ?? new ModelDirectoryItem(model, System.IO.Path.Combine(Path, model))) with
                {
                    PartialBytes = new FileInfo(file).Length,
                };
            }
        }

        return [.. items.Values];
    }
}

/// <summary>A model name in the models directory: a complete file, a download in progress, or both (a re-pull with --force).</summary>
internal sealed record ModelDirectoryItem(string Name, string Path)
{
    public bool Complete { get; init; }

    /// <summary>Bytes of an unfinished download, or null when there is none.</summary>
    public long? PartialBytes { get; init; }
}
