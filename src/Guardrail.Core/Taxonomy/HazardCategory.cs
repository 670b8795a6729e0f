using System.Globalization;
using System.Text.RegularExpressions;
using Guardrail.Classification;

namespace Guardrail.Taxonomy;

/// <summary>A hazard category as sent to Llama Guard: a code such as <c>S1</c>, the name the model was trained on, and who knows it.</summary>
public sealed partial record HazardCategory
{
    /// <summary>The code, <c>S</c> followed by a positive number without leading zeros (<c>S1</c> .. <c>S14</c>, custom ones from <c>S15</c>).</summary>
    public required string Code { get; init; }

    /// <summary>The name written in the prompt (<c>Violent Crimes</c>); the prompt adds the trailing period.</summary>
    public required string Name { get; init; }

    /// <summary>What the category covers, for people; in the prompt only when <see cref="DescribeInPrompt"/> is set.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// Whether the prompt line carries the description (<c>S15: Name. Description</c>). Off for the trained
    /// categories, whose prompt lines are the bare names the model saw in training; on for custom categories,
    /// which the model only understands through their description.
    /// </summary>
    public bool DescribeInPrompt { get; init; }

    /// <summary>Model sizes trained on this category (<c>1B</c>, <c>8B</c>); empty means no restriction is known.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>The number in the code (<c>14</c> for <c>S14</c>).</summary>
    public int Number => ParseNumber(Code) ?? throw new InvalidOperationException($"'{Code}' is not a category code.");

    /// <summary>The category's line in the prompt, without the line break: <c>S1: Violent Crimes.</c>.</summary>
    public string PromptLine => DescribeInPrompt && !string.IsNullOrWhiteSpace(Description)
        ? $"{Code}: {Name}. {Description.Trim()}"
        : $"{Code}: {Name}.";

    /// <summary>Whether a model of <paramref name="modelSize"/> (such as <c>1B</c>) was trained on this category.</summary>
    public bool IsKnownTo(string modelSize) =>
        Models.Count == 0 || Models.Contains(modelSize, StringComparer.OrdinalIgnoreCase);

    /// <summary>The code for a number: <c>S</c> + number.</summary>
    public static string CodeFor(int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(number);
        return "S" + number.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The number of a well-formed code (<c>S</c>, then 1 to 999 without leading zeros), otherwise null.</summary>
    public static int? ParseNumber(string? code) =>
        code is not null && CodePattern().IsMatch(code)
            ? int.Parse(code.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture)
            : null;

    /// <summary>
    /// Every reason this category cannot be written into a prompt: the prompt's scaffold is tokenized with
    /// special tokens on, so its text must not hold line breaks, special-token syntax or conversation markers.
    /// </summary>
    public IReadOnlyList<string> FindProblems()
    {
        var problems = new List<string>();
        if (CodeProblem(Code) is { } codeProblem)
        {
            problems.Add(codeProblem);
        }

        problems.AddRange(NameProblems(Code, Name));
        if (Description is not null)
        {
            problems.AddRange(TextProblems($"description of {Code}", Description));
        }

        if (DescribeInPrompt && string.IsNullOrWhiteSpace(Description))
        {
            problems.Add($"category {Code} is described in the prompt but has no description");
        }

        return problems;
    }

    internal static string? CodeProblem(string code) => ParseNumber(code) is null
        ? $"code '{code}' must be 'S' followed by a number from 1 to 999 without leading zeros (S1, S15)"
        : null;

    internal static List<string> NameProblems(string code, string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return [$"category {code} needs a name"];
        }

        var problems = new List<string>();
        if (!string.Equals(name, name.Trim(), StringComparison.Ordinal))
        {
            problems.Add($"name of {code} must not start or end with whitespace");
        }

        if (name.EndsWith('.'))
        {
            problems.Add($"name of {code} must not end with a period; the prompt adds one");
        }

        problems.AddRange(TextProblems($"name of {code}", name));
        return problems;
    }

    internal static List<string> TextProblems(string what, string text)
    {
        var problems = new List<string>();
        if (text.AsSpan().IndexOfAny("\r\n\u0085\u2028\u2029") >= 0)
        {
            problems.Add($"{what} must be one line (use a folded '>-' block in YAML)");
        }

        if (text.Contains("<|", StringComparison.Ordinal) || text.Contains("|>", StringComparison.Ordinal))
        {
            problems.Add($"{what} must not contain special-token syntax '<|' or '|>'");
        }

        if (PromptContentSanitizer.ContainsMarker(text))
        {
            problems.Add($"{what} must not contain a conversation or category block marker");
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            problems.Add($"{what} must not contain NUL characters");
        }

        return problems;
    }

    [GeneratedRegex(@"\AS[1-9][0-9]{0,2}\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex CodePattern();
}
