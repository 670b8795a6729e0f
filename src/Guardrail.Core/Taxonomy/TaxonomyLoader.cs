using System.Text.RegularExpressions;
using YamlDotNet.Core;

using Guardrail.Diagnostics;

namespace Guardrail.Taxonomy;

/// <summary>
/// Loads <c>taxonomy/*.yaml</c> files and validates them, collecting every error with its file, line and column
/// rather than stopping at the first.
/// </summary>
/// <remarks>
/// Format: top-level keys <c>id</c> (required), <c>name</c>, <c>description</c>, <c>source</c>, and
/// <c>categories</c> (required, non-empty); each category has <c>code</c> and <c>name</c> (required),
/// <c>description</c>, <c>describe_in_prompt</c> (true/false, default false) and <c>models</c> (a list of
/// sizes such as <c>1B</c>, <c>8B</c>; absent means no restriction is known).
/// </remarks>
public static partial class TaxonomyLoader
{
    private const string Invalid = "The taxonomy is not valid";

    private static readonly string[] RootKeys = ["id", "name", "description", "source", "categories"];
    private static readonly string[] CategoryKeys = ["code", "name", "description", "describe_in_prompt", "models"];

    /// <summary>Reads and validates a taxonomy file.</summary>
    public static LoadResult<HazardTaxonomy> LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return Failed([new FileDiagnostic(path, 0, 0, $"cannot read the file: {exception.Message}")]);
        }

        return Parse(text, path);
    }

    /// <summary>Validates taxonomy YAML; <paramref name="file"/> names the source in error messages.</summary>
    public static LoadResult<HazardTaxonomy> Parse(string yaml, string file)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(file);
        var errors = new DiagnosticList(file);
        YamlTreeNode? root;
        try
        {
            root = YamlTreeReader.Read(yaml);
        }
        catch (YamlException exception)
        {
            errors.Add(YamlTreeReader.Line(exception.Start), YamlTreeReader.Column(exception.Start), $"YAML syntax: {exception.Message}");
            return Failed(errors.Items);
        }

        if (root is not YamlTreeMapping mapping)
        {
            errors.Add(root?.Line ?? 1, root?.Column ?? 1, "the file must be a mapping with 'id' and 'categories'");
            return Failed(errors.Items);
        }

        var keys = ReadKeys(mapping, RootKeys, "taxonomy", errors);
        var id = RequiredString(keys, "id", mapping, "taxonomy", errors);
        if (id is not null && !IdPattern().IsMatch(id))
        {
            var node = keys["id"];
            errors.Add(node.Line, node.Column, $"id '{id}' must be lower-case letters, digits, '.', '_' or '-'");
        }

        var name = OptionalString(keys, "name", errors);
        _ = OptionalString(keys, "description", errors);
        _ = OptionalString(keys, "source", errors);
        var categories = ReadCategories(keys, mapping, errors);

        return errors.Count > 0
            ? Failed(errors.Items)
            : new LoadResult<HazardTaxonomy> { FailureSummary = Invalid, Value = new HazardTaxonomy { Id = id!, Name = name, Categories = categories } };
    }

    private static List<HazardCategory> ReadCategories(Dictionary<string, YamlTreeNode> keys, YamlTreeMapping root, DiagnosticList errors)
    {
        var categories = new List<HazardCategory>();
        if (!keys.TryGetValue("categories", out var node))
        {
            errors.Add(root.Line, root.Column, "taxonomy has no 'categories'");
            return categories;
        }

        if (node is not YamlTreeSequence sequence || sequence.Items.Count == 0)
        {
            errors.Add(node.Line, node.Column, "'categories' must be a non-empty list");
            return categories;
        }

        var firstLineByCode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in sequence.Items)
        {
            if (ReadCategory(item, errors) is not { } category)
            {
                continue;
            }

            if (firstLineByCode.TryGetValue(category.Code, out var firstLine))
            {
                errors.Add(item.Line, item.Column, $"duplicate code {category.Code} (first defined at line {firstLine})");
                continue;
            }

            firstLineByCode[category.Code] = item.Line;
            categories.Add(category);
        }

        return categories;
    }

    private static HazardCategory? ReadCategory(YamlTreeNode item, DiagnosticList errors)
    {
        if (item is not YamlTreeMapping mapping)
        {
            errors.Add(item.Line, item.Column, "each category must be a mapping with 'code' and 'name'");
            return null;
        }

        var before = errors.Count;
        var keys = ReadKeys(mapping, CategoryKeys, "category", errors);
        var code = RequiredString(keys, "code", mapping, "category", errors);
        if (code is not null && HazardCategory.CodeProblem(code) is { } codeProblem)
        {
            errors.Add(keys["code"].Line, keys["code"].Column, codeProblem);
        }

        var label = code ?? $"at line {mapping.Line}";
        var name = RequiredString(keys, "name", mapping, $"category {label}", errors);
        if (name is not null)
        {
            errors.AddAll(keys["name"], HazardCategory.NameProblems(label, name));
        }

        var description = OptionalString(keys, "description", errors);
        if (description is not null)
        {
            errors.AddAll(keys["description"], HazardCategory.TextProblems($"description of {label}", description));
        }

        var describe = OptionalBoolean(keys, "describe_in_prompt", errors) ?? false;
        if (describe && string.IsNullOrWhiteSpace(description))
        {
            var node = keys["describe_in_prompt"];
            errors.Add(node.Line, node.Column, $"category {label} is described in the prompt but has no description");
        }

        var models = ReadModels(keys, errors);
        if (errors.Count > before || code is null || name is null)
        {
            return code is null ? null : new HazardCategory { Code = code, Name = name ?? string.Empty };
        }

        return new HazardCategory
        {
            Code = code,
            Name = name,
            Description = description,
            DescribeInPrompt = describe,
            Models = models,
        };
    }

    private static string[] ReadModels(Dictionary<string, YamlTreeNode> keys, DiagnosticList errors)
    {
        if (!keys.TryGetValue("models", out var node))
        {
            return [];
        }

        if (node is not YamlTreeSequence sequence || sequence.Items.Count == 0)
        {
            errors.Add(node.Line, node.Column, "'models' must be a non-empty list of model sizes such as [1B, 8B]");
            return [];
        }

        var models = new List<string>();
        foreach (var item in sequence.Items)
        {
            if (item is YamlTreeScalar { IsPlainNull: false } scalar && ModelSizePattern().IsMatch(scalar.Value))
            {
                models.Add(scalar.Value);
            }
            else
            {
                errors.Add(item.Line, item.Column, "a model size must look like 1B or 8B");
            }
        }

        return [.. models];
    }

    private static Dictionary<string, YamlTreeNode> ReadKeys(YamlTreeMapping mapping, string[] allowed, string what, DiagnosticList errors)
    {
        var keys = new Dictionary<string, YamlTreeNode>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Entries)
        {
            if (!allowed.Contains(key.Value, StringComparer.Ordinal))
            {
                errors.Add(key.Line, key.Column, $"unknown key '{key.Value}' in {what}; expected one of: {string.Join(", ", allowed)}");
            }
            else if (firstLine.TryGetValue(key.Value, out var line))
            {
                errors.Add(key.Line, key.Column, $"duplicate key '{key.Value}' (first at line {line})");
            }
            else
            {
                firstLine[key.Value] = key.Line;
                keys[key.Value] = value;
            }
        }

        return keys;
    }

    private static string? RequiredString(Dictionary<string, YamlTreeNode> keys, string key, YamlTreeMapping owner, string what, DiagnosticList errors)
    {
        if (!keys.TryGetValue(key, out var node))
        {
            errors.Add(owner.Line, owner.Column, $"{what} has no '{key}'");
            return null;
        }

        if (node is not YamlTreeScalar scalar || scalar.IsPlainNull || string.IsNullOrWhiteSpace(scalar.Value))
        {
            errors.Add(node.Line, node.Column, $"'{key}' must be a non-empty text value");
            return null;
        }

        return scalar.Value;
    }

    private static string? OptionalString(Dictionary<string, YamlTreeNode> keys, string key, DiagnosticList errors)
    {
        if (!keys.TryGetValue(key, out var node))
        {
            return null;
        }

        if (node is not YamlTreeScalar scalar)
        {
            errors.Add(node.Line, node.Column, $"'{key}' must be a text value");
            return null;
        }

        return scalar.IsPlainNull ? null : scalar.Value;
    }

    private static bool? OptionalBoolean(Dictionary<string, YamlTreeNode> keys, string key, DiagnosticList errors)
    {
        if (!keys.TryGetValue(key, out var node))
        {
            return null;
        }

        if (node is YamlTreeScalar scalar)
        {
            switch (scalar.Value)
            {
                case "true":
                    return true;
                case "false":
                    return false;
            }
        }

        errors.Add(node.Line, node.Column, $"'{key}' must be true or false");
        return null;
    }

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9._-]*\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"\A[1-9][0-9]*(\.[0-9]+)?B\z", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | RegexOptions.NonBacktracking)]
    private static partial Regex ModelSizePattern();

    private static LoadResult<HazardTaxonomy> Failed(IReadOnlyList<FileDiagnostic> errors) =>
        new() { FailureSummary = Invalid, Errors = errors };
}
