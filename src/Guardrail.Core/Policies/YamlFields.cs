using System.Globalization;
using Guardrail.Diagnostics;
using Guardrail.Taxonomy;

namespace Guardrail.Policies;

/// <summary>
/// The keys of one YAML mapping, checked against the allowed set, with typed readers that report a wrong type
/// at the value's position and return null so that validation goes on.
/// </summary>
internal sealed class YamlFields
{
    private readonly Dictionary<string, YamlTreeNode> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlTreeScalar> _keys = new(StringComparer.Ordinal);
    private readonly string _file;
    private readonly DiagnosticList _errors;

    public YamlFields(YamlTreeMapping mapping, IReadOnlyList<string> allowed, string what, string file, DiagnosticList errors)
    {
        Mapping = mapping;
        _file = file;
        _errors = errors;
        foreach (var (key, value) in mapping.Entries)
        {
            if (!allowed.Contains(key.Value, StringComparer.Ordinal))
            {
                errors.Add(file, key, $"unknown key '{key.Value}' in {what}; expected one of: {string.Join(", ", allowed)}");
            }
            else if (_keys.TryGetValue(key.Value, out var first))
            {
                errors.Add(file, key, $"duplicate key '{key.Value}' (first at line {first.Line})");
            }
            else
            {
                _keys[key.Value] = key;
                _values[key.Value] = value;
            }
        }
    }

    public YamlTreeMapping Mapping { get; }

    public bool Has(string key) => _values.ContainsKey(key);

    public YamlTreeNode? Node(string key) => _values.GetValueOrDefault(key);

    public SourcePosition? Position(string key) =>
        _values.TryGetValue(key, out var node) ? new SourcePosition(_file, node.Line, node.Column) : null;

    public SourcePosition MappingPosition => new(_file, Mapping.Line, Mapping.Column);

    public string? String(string key, bool required = false, string? what = null)
    {
        if (!_values.TryGetValue(key, out var node))
        {
            if (required)
            {
                _errors.Add(_file, Mapping, $"{what ?? "mapping"} has no '{key}'");
            }

            return null;
        }

        if (node is not YamlTreeScalar scalar || (required && (scalar.IsPlainNull || string.IsNullOrWhiteSpace(scalar.Value))))
        {
            _errors.Add(_file, node, required ? $"'{key}' must be a non-empty text value" : $"'{key}' must be a text value");
            return null;
        }

        return scalar.IsPlainNull ? null : scalar.Value;
    }

    public bool? Boolean(string key)
    {
        if (!_values.TryGetValue(key, out var node))
        {
            return null;
        }

        if (node is YamlTreeScalar { Value: "true" or "false" } scalar)
        {
            return string.Equals(scalar.Value, "true", StringComparison.Ordinal);
        }

        _errors.Add(_file, node, $"'{key}' must be true or false");
        return null;
    }

    public double? Number(string key)
    {
        if (!_values.TryGetValue(key, out var node))
        {
            return null;
        }

        if (node is YamlTreeScalar { IsPlainNull: false } scalar
            && double.TryParse(scalar.Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value))
        {
            return value;
        }

        _errors.Add(_file, node, $"'{key}' must be a number");
        return null;
    }

    public int? WholeNumber(string key)
    {
        if (!_values.TryGetValue(key, out var node))
        {
            return null;
        }

        if (node is YamlTreeScalar { IsPlainNull: false } scalar
            && int.TryParse(scalar.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        _errors.Add(_file, node, $"'{key}' must be a whole number");
        return null;
    }

    /// <summary>Reads one of <paramref name="names"/> (the YAML spelling of each value).</summary>
    public T? Choice<T>(string key, IReadOnlyDictionary<string, T> names, string? alsoAccepted = null)
        where T : struct
    {
        if (!_values.TryGetValue(key, out var node))
        {
            return null;
        }

        return ReadChoice(node, key, names, alsoAccepted);
    }

    // alsoAccepted: a name the caller handles itself (such as "inherit", meaning no value), listed first in the error.
    public T? ReadChoice<T>(YamlTreeNode node, string what, IReadOnlyDictionary<string, T> names, string? alsoAccepted = null)
        where T : struct
    {
        if (node is YamlTreeScalar scalar && names.TryGetValue(scalar.Value, out var value))
        {
            return value;
        }

        var shown = node is YamlTreeScalar text ? $"'{text.Value}'" : "a list or mapping";
        IEnumerable<string> accepted = alsoAccepted is null ? names.Keys : [alsoAccepted, .. names.Keys];
        _errors.Add(_file, node, $"{what} must be one of {string.Join(", ", accepted)}, not {shown}");
        return null;
    }

    public YamlTreeMapping? SubMapping(string key)
    {
        if (!_values.TryGetValue(key, out var node))
        {
            return null;
        }

        if (node is YamlTreeMapping mapping)
        {
            return mapping;
        }

        _errors.Add(_file, node, $"'{key}' must be a mapping");
        return null;
    }

    public YamlTreeSequence? List(string key)
    {
        if (!_values.TryGetValue(key, out var node))
        {
            return null;
        }

        if (node is YamlTreeSequence sequence)
        {
            return sequence;
        }

        _errors.Add(_file, node, $"'{key}' must be a list");
        return null;
    }

    /// <summary>A list of non-empty, unique text values; problems are reported item by item.</summary>
    public string[] TextList(string key)
    {
        if (List(key) is not { } sequence)
        {
            return [];
        }

        var values = new List<string>();
        foreach (var item in sequence.Items)
        {
            if (item is not YamlTreeScalar { IsPlainNull: false } scalar || string.IsNullOrWhiteSpace(scalar.Value))
            {
                _errors.Add(_file, item, $"each item of '{key}' must be a non-empty text value");
            }
            else if (values.Contains(scalar.Value, StringComparer.Ordinal))
            {
                _errors.Add(_file, item, $"'{scalar.Value}' is listed twice in '{key}'");
            }
            else
            {
                values.Add(scalar.Value);
            }
        }

        return [.. values];
    }
}
