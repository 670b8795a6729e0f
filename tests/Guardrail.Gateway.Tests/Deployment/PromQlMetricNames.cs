using System.Text.RegularExpressions;

namespace Guardrail.Gateway.Tests.Deployment;

/// <summary>
/// Pulls the metric names out of a PromQL expression (as written in alert rules and Grafana panels) without a full
/// parser. The rules, applied in order:
/// <list type="number">
/// <item>Grafana's <c>label_values(selector, label)</c> keeps only its selector (the second argument is a label).</item>
/// <item>String literals (<c>"..."</c>, <c>'...'</c>, <c>`...`</c>) are removed: they are label values and regexes.</item>
/// <item>Label matchers <c>{...}</c>, ranges and subqueries <c>[...]</c> and Grafana variables (<c>$x</c>, <c>${x}</c>)
/// are removed.</item>
/// <item>Label lists after <c>by</c>, <c>without</c>, <c>on</c>, <c>ignoring</c>, <c>group_left</c> and
/// <c>group_right</c> are removed.</item>
/// <item>Numbers and durations (<c>0.99</c>, <c>5m</c>, <c>1e3</c>) are skipped.</item>
/// <item>Every remaining identifier is a metric name unless it is followed by <c>(</c> (a function or aggregation) or
/// is a PromQL keyword (<c>and</c>, <c>or</c>, <c>unless</c>, <c>bool</c>, <c>offset</c>, <c>inf</c>, <c>nan</c>...).</item>
/// </list>
/// Anything it cannot classify is reported as a name, so a misspelt metric fails the check rather than hiding.
/// </summary>
internal static partial class PromQlMetricNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2", "start", "end",
    };

    public static IReadOnlySet<string> Extract(string expression)
    {
        var text = LabelValuesPattern().Replace(expression, "${selector}");
        text = StringPattern().Replace(text, " ");
        text = RemoveBracketed(text, '{', '}');
        text = RemoveBracketed(text, '[', ']');
        text = VariablePattern().Replace(text, " ");
        text = GroupingPattern().Replace(text, " ");

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match token in TokenPattern().Matches(text))
        {
            if (token.Groups["number"].Success)
            {
                continue;
            }

            var identifier = token.Groups["identifier"].Value;
            var rest = text.AsSpan(token.Index + token.Length).TrimStart();
            if (Keywords.Contains(identifier) || (rest.Length > 0 && rest[0] == '('))
            {
                continue;
            }

            names.Add(identifier);
        }

        return names;
    }

    /// <summary>Removes every <paramref name="open"/>...<paramref name="close"/> span; PromQL does not nest them.</summary>
    private static string RemoveBracketed(string text, char open, char close)
    {
        var output = new System.Text.StringBuilder(text.Length);
        var depth = 0;
        foreach (var c in text)
        {
            if (c == open)
            {
                depth++;
            }
            else if (c == close && depth > 0)
            {
                depth--;
                output.Append(' ');
            }
            else if (depth == 0)
            {
                output.Append(c);
            }
        }

        if (depth != 0)
        {
            throw new FormatException($"Unbalanced '{open}' in PromQL expression: {text}");
        }

        return output.ToString();
    }

    [GeneratedRegex(@"\blabel_values\s*\(\s*(?<selector>[^,()]*(?:\{[^}]*\})?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex LabelValuesPattern();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex StringPattern();

    [GeneratedRegex(@"\$\{[^}]*\}|\$[a-zA-Z_][a-zA-Z0-9_]*", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex VariablePattern();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex GroupingPattern();

    [GeneratedRegex(@"(?<number>(?<![a-zA-Z0-9_:])(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?(?:[a-zA-Z]+\d*)*))|(?<identifier>[a-zA-Z_:][a-zA-Z0-9_:]*)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex TokenPattern();
}
