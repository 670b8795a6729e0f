using Guardrail.LlamaCpp.Inference;

namespace Guardrail.ModelSynthesis;

/// <summary>llama.cpp's own Llama 3 tokenizer over a vocab-only model: the exact ids the engine will feed a guard.</summary>
internal sealed class VocabTokenizer : ISynthTokenizer, IDisposable
{
    private readonly LlamaModel _model;

    public VocabTokenizer(LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    public IReadOnlyList<int> Tokenize(string text) => _model.Vocab.Tokenize(text, addSpecial: false, parseSpecial: false);

    public string Piece(int token) => _model.Vocab.TokenToPiece(token);

    public void Dispose() => _model.Dispose();
}
