using Microsoft.Extensions.Logging.Abstractions;

namespace Guardrail.ModelSynthesis.Tests;

/// <summary>The installed Llama 3 tokenizer and vocabulary metadata, loaded once for the test run (read-only, thread-safe).</summary>
internal static class Llama3Vocabulary
{
    private static readonly Lazy<VocabTokenizer> LazyTokenizer = new(() =>
    {
        NativeTestRuntime.EnsureInitialized();
        return SynthesisRuntime.OpenTokenizer(TestAssets.VocabGguf, NullLoggerFactory.Instance);
    });

    private static readonly Lazy<LlamaVocabularyMetadata> LazyMetadata = new(() => LlamaVocabularyMetadata.Load(TestAssets.VocabGguf));

    public static VocabTokenizer Tokenizer => LazyTokenizer.Value;

    public static LlamaVocabularyMetadata Metadata => LazyMetadata.Value;
}
