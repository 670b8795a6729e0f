using Guardrail.Taxonomy;

namespace Guardrail.Classification;

/// <summary>Reads Llama Guard's answer: <c>safe</c>, or <c>unsafe</c> then a line of codes such as <c>S1,S10</c>.</summary>
/// <remarks>
/// Leniency only ever goes toward unsafe or error, never toward safe:
/// <list type="bullet">
/// <item>Trailing <c>&lt;|eot_id|&gt;</c> and whitespace around the answer are ignored.</item>
/// <item>The first line must be exactly <c>safe</c> or <c>unsafe</c> (lower case); anything else, <c>Safe</c>
/// included, is an error.</item>
/// <item><c>safe</c> followed by anything is an error: the model contradicted itself.</item>
/// <item><c>unsafe</c> is unsafe whatever follows. Spaces around codes (<c>S1, S2</c>) are accepted; items that are
/// not codes (<c>S01</c>, <c>violence</c>) and extra lines go to <see cref="LlamaGuardOutput.UnparsedCategories"/>;
/// <c>unsafe</c> with no codes at all (the generation stopped early) is unsafe without categories, and the
/// decision must treat it as a hit on every category it cannot rule out.</item>
/// </list>
/// </remarks>
public static class LlamaGuardOutputParser
{
    private const string EndOfTurn = "<|eot_id|>";

    /// <summary>Parses the text the model generated after the prompt.</summary>
    public static LlamaGuardOutput Parse(string? generated)
    {
        var text = StripEnd(generated ?? string.Empty);
        if (text.Length == 0)
        {
            return Error("the model generated no answer");
        }

        var lines = text.Split('\n');
        var first = lines[0].Trim();
        if (string.Equals(first, "safe", StringComparison.Ordinal))
        {
            return lines.Skip(1).All(string.IsNullOrWhiteSpace)
                ? new LlamaGuardOutput { Outcome = GuardOutcome.Safe }
                : Error("the model answered 'safe' followed by more text");
        }

        if (!string.Equals(first, "unsafe", StringComparison.Ordinal))
        {
            return Error("the answer does not start with 'safe' or 'unsafe'");
        }

        var codes = new List<string>();
        var unparsed = new List<string>();
        if (lines.Length > 1)
        {
            foreach (var item in lines[1].Split(','))
            {
                var code = item.Trim();
                if (HazardCategory.ParseNumber(code) is not null)
                {
                    if (!codes.Contains(code, StringComparer.Ordinal))
                    {
                        codes.Add(code);
                    }
                }
                else if (code.Length > 0)
                {
                    unparsed.Add(code);
                }
            }

            unparsed.AddRange(lines.Skip(2).Select(static line => line.Trim()).Where(static line => line.Length > 0));
        }

        return new LlamaGuardOutput { Outcome = GuardOutcome.Unsafe, Categories = codes, UnparsedCategories = unparsed };
    }

    private static string StripEnd(string text)
    {
        var span = text.AsSpan().Trim();
        while (span.EndsWith(EndOfTurn, StringComparison.Ordinal))
        {
            span = span[..^EndOfTurn.Length].Trim();
        }

        return span.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static LlamaGuardOutput Error(string reason) => new() { Outcome = GuardOutcome.Error, Error = reason };
}
