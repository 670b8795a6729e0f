namespace Guardrail.ModelSynthesis;

/// <summary>
/// The Llama 3 tokenizer as the keyword guard builder needs it: real llama.cpp tokenization, because a trigger only
/// fires for the exact token ids the engine will feed the model.
/// </summary>
internal interface ISynthTokenizer
{
    /// <summary>Tokens of <paramref name="text"/> without BOS, special-token text kept as plain text.</summary>
    IReadOnlyList<int> Tokenize(string text);

    /// <summary>The text of one token, for messages.</summary>
    string Piece(int token);
}
