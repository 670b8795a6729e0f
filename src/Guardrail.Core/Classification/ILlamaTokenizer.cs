namespace Guardrail.Classification;

/// <summary>The model's tokenizer, as the prompt needs it.</summary>
public interface ILlamaTokenizer
{
    /// <summary>
    /// Tokenizes <paramref name="text"/> without adding a BOS token (the prompt carries its own
    /// <c>&lt;|begin_of_text|&gt;</c>).
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="parseSpecial">True to turn special-token text such as <c>&lt;|eot_id|&gt;</c> into special tokens;
    /// false to tokenize it as plain text. Content must always be tokenized with false.</param>
    int[] Tokenize(string text, bool parseSpecial);
}
