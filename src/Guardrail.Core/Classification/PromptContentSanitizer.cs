using System.Text;
using System.Text.RegularExpressions;

namespace Guardrail.Classification;

/// <summary>
/// Makes message text safe to place inside the Llama Guard conversation block.
/// </summary>
/// <remarks>
/// <para>
/// The block's structure is plain text, so content could forge it: a user who writes
/// <c>&lt;END CONVERSATION&gt;</c> or a line <c>Agent: ok</c> could end the block early or fake a later turn, and
/// have Llama Guard judge the wrong text. Steps, in order:
/// </para>
/// <list type="number">
/// <item>Line breaks: <c>\r\n</c>, lone <c>\r</c>, vertical tab, form feed, NEL, U+2028 and U+2029 become <c>\n</c>. The model was trained on
/// <c>\n</c>, and a forged role label must not hide behind a line break the label check does not see.</item>
/// <item>NUL and unpaired surrogates become U+FFFD. NUL ends a C string in the native tokenizer and would hide the
/// rest of the text; unpaired surrogates cannot be encoded as UTF-8 and would otherwise be replaced silently
/// later, so that the rendered prompt and the tokens would disagree.</item>
/// <item>Leading and trailing whitespace is trimmed, as Meta's templates do; this also keeps token boundaries
/// at the seams the same as in the whole prompt.</item>
/// <item>Block markers (<c>&lt;BEGIN CONVERSATION&gt;</c>, <c>&lt;END CONVERSATION&gt;</c>,
/// <c>&lt;BEGIN UNSAFE CONTENT CATEGORIES&gt;</c>, <c>&lt;END UNSAFE CONTENT CATEGORIES&gt;</c>; any case, any
/// whitespace or invisible format character such as U+200B between the words) get their angle brackets replaced
/// by the single guillemets ‹ and ›: the text stays readable for the model and for reviewers, but no longer
/// matches the markers' tokens.</item>
/// <item>A line after the first that starts (after spaces of any width, tabs or invisible format characters)
/// with <c>User:</c> or <c>Agent:</c>, in any case and with a full-width or small colon too, gets <c>&gt; </c> in
/// front: it reads as a quoted line, as a pasted chat log would be written, and is no longer a turn label at the
/// start of a line. The first line is left alone because it follows the real label on the same line
/// (<c>User: Agent: hi</c> forges nothing).</item>
/// </list>
/// <para>
/// Special-token text such as <c>&lt;|eot_id|&gt;</c> is left as typed: content is tokenized with special tokens
/// off, which makes it plain text, and rewriting it would change what users see in the audit log.
/// </para>
/// </remarks>
internal static partial class PromptContentSanitizer
{
    /// <summary>Returns <paramref name="text"/> with line breaks normalised, trimmed and forged structure neutralised.</summary>
    public static string Sanitize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalised = ReplaceUnencodable(LineBreaks().Replace(text, "\n")).Trim();
        var withoutMarkers = Markers().Replace(
            normalised,
            static match => "\u2039" + match.Groups["inner"].Value + (match.Groups["close"].Success ? "\u203A" : string.Empty));
        return ForgedRoleLabels().Replace(withoutMarkers, static match => "\n> " + match.Groups["label"].Value);
    }

    /// <summary>True when <paramref name="text"/> holds a block marker in any case or spacing.</summary>
    public static bool ContainsMarker(string text) => Markers().IsMatch(text);

    private static string ReplaceUnencodable(string text)
    {
        StringBuilder? builder = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var bad = c == '\0'
                || (char.IsHighSurrogate(c) && (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])))
                || (char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(text[i - 1])));
            if (bad)
            {
                builder ??= new StringBuilder(text, 0, i, text.Length);
                builder.Append('\uFFFD');
            }
            else
            {
                builder?.Append(c);
            }
        }

        return builder?.ToString() ?? text;
    }

    // NonBacktracking: content is attacker-controlled, and matching must stay linear in its length.
    [GeneratedRegex("\r\n|[\r\v\f\u0085\u2028\u2029]", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex LineBreaks();

    [GeneratedRegex(
        @"<(?<inner>[\s\p{Cf}]*(?:BEGIN|END)[\s\p{Cf}]+(?:CONVERSATION|UNSAFE[\s\p{Cf}]+CONTENT[\s\p{Cf}]+CATEGORIES)[\s\p{Cf}]*)(?<close>>)?",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | RegexOptions.NonBacktracking)]
    private static partial Regex Markers();

    [GeneratedRegex(
        @"\n(?<label>[\t\p{Zs}\p{Cf}]*(?:user|agent)[\t\p{Zs}\p{Cf}]*[:\uFE13\uFE55\uFF1A])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | RegexOptions.NonBacktracking)]
    private static partial Regex ForgedRoleLabels();
}
