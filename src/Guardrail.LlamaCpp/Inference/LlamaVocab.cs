using System.Collections.Frozen;
using System.Text;
using Guardrail.LlamaCpp.Native;

namespace Guardrail.LlamaCpp.Inference;

/// <summary>
/// The tokenizer of a loaded model. Thread-safe (llama.cpp's tokenizer API is). Every call keeps the model alive for
/// its duration and fails with <see cref="ObjectDisposedException"/> after the model is disposed.
/// </summary>
internal sealed unsafe class LlamaVocab
{
    // Lone surrogates and other unencodable UTF-16 become U+FFFD instead of throwing: content is untrusted text.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly LlamaModel _owner;
    private readonly SafeLlamaModelHandle _model;
    private readonly Lazy<FrozenDictionary<string, int>> _pieces;

    internal LlamaVocab(LlamaModel owner, SafeLlamaModelHandle model)
    {
        _owner = owner;
        _model = model;
        using var lease = new SafeHandleLease(model);
        var vocab = LlamaNative.llama_model_get_vocab(model);
        Count = LlamaNative.llama_vocab_n_tokens(vocab);
        Bos = NullIfNone(LlamaNative.llama_vocab_bos(vocab));
        Eos = NullIfNone(LlamaNative.llama_vocab_eos(vocab));
        Eot = NullIfNone(LlamaNative.llama_vocab_eot(vocab));
        _pieces = new Lazy<FrozenDictionary<string, int>>(BuildPieceIndex, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Number of tokens (128256 for Llama 3).</summary>
    public int Count { get; }

    /// <summary>Beginning-of-text token (<c>&lt;|begin_of_text|&gt;</c>, 128000), or null.</summary>
    public int? Bos { get; }

    /// <summary>End-of-sequence token, or null.</summary>
    public int? Eos { get; }

    /// <summary>End-of-turn token (<c>&lt;|eot_id|&gt;</c>, 128009), or null.</summary>
    public int? Eot { get; }

    /// <summary>
    /// Tokenizes <paramref name="text"/>. With <paramref name="parseSpecial"/> false, special-token strings typed in
    /// the text (such as <c>&lt;|eot_id|&gt;</c>) stay ordinary text: use false for all untrusted content.
    /// </summary>
    /// <param name="text">Any string; invalid UTF-16 is replaced by U+FFFD.</param>
    /// <param name="addSpecial">Add BOS (and EOS where the model asks for it).</param>
    /// <param name="parseSpecial">Recognise special-token strings as special tokens.</param>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial) => Tokenize(text, addSpecial, parseSpecial, initialCapacity: null);

    /// <summary><see cref="Tokenize(string, bool, bool)"/> with a chosen first buffer size, so tests can force the retry path.</summary>
    internal int[] Tokenize(string text, bool addSpecial, bool parseSpecial, int? initialCapacity)
    {
        ArgumentNullException.ThrowIfNull(text);
        var byteCount = Utf8.GetByteCount(text);
        // llama_tokenize takes an int32 length; a piece of text this large is a caller bug, not content.
        if (byteCount >= int.MaxValue / 2)
        {
            throw new ArgumentException($"Text of {byteCount} UTF-8 bytes is too long to tokenize.", nameof(text));
        }

        var bytes = new byte[Math.Max(byteCount, 1)];
        Utf8.GetBytes(text, bytes);
        using var lease = Lease();
        var vocab = LlamaNative.llama_model_get_vocab(_model);
        // A byte-level BPE token covers at least one byte, so this fits unless the model adds several specials.
        var tokens = new int[initialCapacity ?? byteCount + 4];
        while (true)
        {
            int count;
            fixed (byte* textPtr = bytes)
            fixed (int* tokenPtr = tokens)
            {
                count = LlamaNative.llama_tokenize(vocab, textPtr, byteCount, tokenPtr, tokens.Length, addSpecial, parseSpecial);
            }

            if (count == int.MinValue)
            {
                throw new LlamaInferenceException("Tokenization overflowed: the result does not fit in 2^31 tokens.") { NativeCode = count };
            }

            if (count >= 0)
            {
                return count == tokens.Length ? tokens : tokens.AsSpan(0, count).ToArray();
            }

            tokens = new int[-count];
        }
    }

    /// <summary>The UTF-8 bytes of one token; may be part of a multi-byte character.</summary>
    /// <param name="token">A token id in [0, <see cref="Count"/>).</param>
    /// <param name="renderSpecial">Render special tokens as their text (<c>&lt;|eot_id|&gt;</c>) instead of nothing.</param>
    public byte[] TokenToPieceBytes(int token, bool renderSpecial = true)
    {
        CheckToken(token);
        using var lease = Lease();
        var vocab = LlamaNative.llama_model_get_vocab(_model);
        var buffer = new byte[64];
        while (true)
        {
            int written;
            fixed (byte* ptr = buffer)
            {
                written = LlamaNative.llama_token_to_piece(vocab, token, ptr, buffer.Length, 0, renderSpecial);
            }

            if (written >= 0)
            {
                return buffer.AsSpan(0, written).ToArray();
            }

            buffer = new byte[-written];
        }
    }

    /// <summary>The text of one token; bytes that are only part of a character become U+FFFD.</summary>
    public string TokenToPiece(int token, bool renderSpecial = true) => Utf8.GetString(TokenToPieceBytes(token, renderSpecial));

    /// <summary>Joins tokens back into text (the inverse of <see cref="Tokenize(string, bool, bool)"/>).</summary>
    /// <param name="tokens">Token ids in [0, <see cref="Count"/>).</param>
    /// <param name="removeSpecial">Drop a leading BOS / trailing EOS the model adds.</param>
    /// <param name="renderSpecial">Render special tokens as their text.</param>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool renderSpecial = true) =>
        Detokenize(tokens, removeSpecial, renderSpecial, initialCapacity: null);

    /// <summary><see cref="Detokenize(ReadOnlySpan{int}, bool, bool)"/> with a chosen first buffer size, so tests can force the retry path.</summary>
    internal string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial, bool renderSpecial, int? initialCapacity)
    {
        foreach (var token in tokens)
        {
            CheckToken(token);
        }

        if (tokens.IsEmpty)
        {
            return string.Empty;
        }

        using var lease = Lease();
        var vocab = LlamaNative.llama_model_get_vocab(_model);
        var buffer = new byte[initialCapacity ?? Math.Max(tokens.Length * 8, 64)];
        while (true)
        {
            int written;
            fixed (int* tokenPtr = tokens)
            fixed (byte* textPtr = buffer)
            {
                written = LlamaNative.llama_detokenize(vocab, tokenPtr, tokens.Length, textPtr, buffer.Length, removeSpecial, renderSpecial);
            }

            if (written == int.MinValue)
            {
                throw new LlamaInferenceException("Detokenization overflowed.") { NativeCode = written };
            }

            if (written >= 0)
            {
                return Utf8.GetString(buffer, 0, written);
            }

            buffer = new byte[-written];
        }
    }

    /// <summary>True for tokens that end generation (EOS, EOT and the model's other end tokens).</summary>
    public bool IsEndOfGeneration(int token)
    {
        CheckToken(token);
        using var lease = Lease();
        return LlamaNative.llama_vocab_is_eog(LlamaNative.llama_model_get_vocab(_model), token);
    }

    /// <summary>
    /// The id of the token whose rendered text is exactly <paramref name="piece"/> (for example <c>"safe"</c>,
    /// <c>"\n\n"</c>, <c>"&lt;|eot_id|&gt;"</c>), or null. The first call indexes the vocabulary (tens of milliseconds).
    /// </summary>
    public int? FindToken(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        return _pieces.Value.TryGetValue(piece, out var id) ? id : null;
    }

    private FrozenDictionary<string, int> BuildPieceIndex()
    {
        var index = new Dictionary<string, int>(Count, StringComparer.Ordinal);
        for (var token = 0; token < Count; token++)
        {
            var bytes = TokenToPieceBytes(token, renderSpecial: true);
            if (bytes.Length == 0)
            {
                continue;
            }

            string text;
            try
            {
                text = StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                continue; // a byte token that is only part of a character has no text of its own
            }

            index.TryAdd(text, token);
        }

        return index.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private void CheckToken(int token)
    {
        // llama.cpp indexes its token table without a bounds check that survives the C boundary.
        if ((uint)token >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token ids must be in [0, {Count}).");
        }
    }

    private SafeHandleLease Lease()
    {
        ObjectDisposedException.ThrowIf(_owner.IsDisposed, _owner);
        return new SafeHandleLease(_model);
    }

    private static int? NullIfNone(int token) => token < 0 ? null : token;
}
