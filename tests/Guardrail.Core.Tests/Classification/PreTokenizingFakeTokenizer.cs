using System.Text.RegularExpressions;
using Guardrail.Classification;

namespace Guardrail.Core.Tests.Classification;

/// <summary>
/// A fake that splits text the way Llama 3's pre-tokenizer does and gives each piece one id. BPE never merges
/// across these pieces, so if segment-wise tokens equal whole-string tokens here, the seams sit on boundaries
/// the real tokenizer also has. Special tokens (with <c>parseSpecial</c>) are split out first, as llama.cpp does.
/// </summary>
internal sealed partial class PreTokenizingFakeTokenizer : ILlamaTokenizer
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public int[] Tokenize(string text, bool parseSpecial)
    {
        var tokens = new List<int>();
        var pieces = parseSpecial ? Specials().Split(text) : [text];
        foreach (var piece in pieces)
        {
            if (piece.Length == 0)
            {
                continue;
            }

            if (parseSpecial && CharacterTokenizer.Specials.TryGetValue(piece, out var special))
            {
                tokens.Add(special);
                continue;
            }

            foreach (Match match in Llama3PreTokenizer().Matches(piece))
            {
                if (!_ids.TryGetValue(match.Value, out var id))
                {
                    id = _ids.Count + 1;
                    _ids[match.Value] = id;
                }

                tokens.Add(id);
            }
        }

        return [.. tokens];
    }

    [GeneratedRegex(@"(?<special><\|begin_of_text\|>|<\|start_header_id\|>|<\|end_header_id\|>|<\|eot_id\|>)", RegexOptions.None, matchTimeoutMilliseconds: 5000)]
    // The named group makes Split keep the special tokens as pieces of their own.
    private static partial Regex Specials();

    // The split pattern of the Llama 3 tokenizer (contractions, letters, 1-3 digits, punctuation with trailing
    // line breaks, line breaks, other whitespace).
    [GeneratedRegex(
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        RegexOptions.ExplicitCapture,
        matchTimeoutMilliseconds: 5000)]
    private static partial Regex Llama3PreTokenizer();
}
