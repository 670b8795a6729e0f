using Guardrail.Classification;
using Guardrail.LlamaCpp.Inference;

namespace Guardrail.LlamaCpp.Classification;

/// <summary>
/// The Core prompt tokenizer's seam on llama.cpp's tokenizer. Never adds BOS: the prompt's first scaffold segment
/// carries the one <c>&lt;|begin_of_text|&gt;</c>.
/// </summary>
internal sealed class LlamaVocabTokenizer : ILlamaTokenizer
{
    private readonly LlamaVocab _vocab;

    public LlamaVocabTokenizer(LlamaVocab vocab) => _vocab = vocab;

    public int[] Tokenize(string text, bool parseSpecial) => _vocab.Tokenize(text, addSpecial: false, parseSpecial);
}
