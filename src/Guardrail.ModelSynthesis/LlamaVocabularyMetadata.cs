using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis;

/// <summary>
/// The <c>tokenizer.*</c> metadata of a vocabulary GGUF (the Llama 3 tokenizer in <c>ggml-vocab-llama-bpe.gguf</c>),
/// copied verbatim into every synthesized model so that llama.cpp tokenizes exactly as it would for the real one.
/// </summary>
internal sealed class LlamaVocabularyMetadata
{
    private const string TokenListKey = "tokenizer.ggml.tokens";
    private readonly Dictionary<string, int> _idsByText;

    private LlamaVocabularyMetadata(string source, IReadOnlyList<KeyValuePair<string, GgufValue>> entries, string[] tokens)
    {
        Source = source;
        Entries = entries;
        Tokens = tokens;
        _idsByText = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var id = 0; id < tokens.Length; id++)
        {
            _idsByText.TryAdd(tokens[id], id);
        }
    }

    /// <summary>Path of the vocabulary file.</summary>
    public string Source { get; }

    /// <summary>Every <c>tokenizer.*</c> entry in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Entries { get; }

    /// <summary>Token texts as stored (byte-level BPE text: a leading space is <c>Ġ</c>); index is the token id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    public int TokenCount => Tokens.Count;

    /// <summary>Reads the tokenizer metadata of <paramref name="path"/>.</summary>
    /// <exception cref="GgufFormatException">The file is not a GGUF file or holds no token list.</exception>
    public static LlamaVocabularyMetadata Load(string path)
    {
        var file = GgufReader.Read(path);
        var entries = file.Metadata
            .Where(entry => entry.Key.StartsWith("tokenizer.", StringComparison.Ordinal))
            .ToList();
        var tokenList = file.Find(TokenListKey);
        if (tokenList is not { Type: GgufValueType.Array, ElementType: GgufValueType.String })
        {
            throw new GgufFormatException($"'{path}' has no '{TokenListKey}' string array; it is not a vocabulary GGUF.");
        }

        return new LlamaVocabularyMetadata(path, entries, tokenList.AsArray<string>());
    }

    /// <summary>The id of the token whose stored text is exactly <paramref name="text"/> (special tokens such as <c>&lt;|eot_id|&gt;</c>).</summary>
    public int? FindToken(string text) => _idsByText.TryGetValue(text, out var id) ? id : null;
}
