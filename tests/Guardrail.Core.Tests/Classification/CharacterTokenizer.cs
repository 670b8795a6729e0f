using Guardrail.Classification;

namespace Guardrail.Core.Tests.Classification;

/// <summary>
/// A deterministic stand-in for the Llama 3 tokenizer: one token per UTF-16 unit (its code), and with
/// <c>parseSpecial</c> the four special tokens of the prompt as single tokens with their Llama 3 ids.
/// Token counts are character counts, which keeps budget arithmetic in tests readable.
/// </summary>
internal sealed class CharacterTokenizer : ILlamaTokenizer
{
    public static readonly IReadOnlyDictionary<string, int> Specials = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["<|begin_of_text|>"] = 128000,
        ["<|start_header_id|>"] = 128006,
        ["<|end_header_id|>"] = 128007,
        ["<|eot_id|>"] = 128009,
    };

    public List<(string Text, bool ParseSpecial)> Calls { get; } = [];

    public int[] Tokenize(string text, bool parseSpecial)
    {
        Calls.Add((text, parseSpecial));
        var tokens = new List<int>();
        var i = 0;
        while (i < text.Length)
        {
            var special = parseSpecial
                ? Specials.FirstOrDefault(pair => string.CompareOrdinal(text, i, pair.Key, 0, pair.Key.Length) == 0)
                : default;
            if (special.Key is not null)
            {
                tokens.Add(special.Value);
                i += special.Key.Length;
            }
            else
            {
                tokens.Add(text[i]);
                i++;
            }
        }

        return [.. tokens];
    }

    public static string Decode(IEnumerable<int> tokens) =>
        string.Concat(tokens.Select(token => token >= 128000
            ? Specials.Single(pair => pair.Value == token).Key
            : ((char)token).ToString()));
}
