using System.Security.Cryptography;
using Guardrail.LlamaCpp.Gguf;
using Guardrail.ModelSynthesis;

namespace Guardrail.Cli.Tests.Models;

/// <summary>
/// Small GGUF files for the pull tests, written with the project's GGUF writer: the Llama 3 tokenizer metadata
/// copied from the vocabulary file scripts/native-runtime.sh installs, and one tensor of seeded random bytes (so a
/// misplaced range shows up as different bytes). Options change exactly the property a test is about.
/// </summary>
internal static class TestGgufFiles
{
    private static readonly Lazy<LlamaVocabularyMetadata> Vocabulary = new(() => LlamaVocabularyMetadata.Load(TestAssets.VocabGguf));

    /// <summary>A file the verifier accepts: architecture llama, the Llama 3 vocabulary, one F32 tensor.</summary>
    public static byte[] Llama3(int weightBytes = 1 << 20, int seed = 1) => Write(weightBytes: weightBytes, seed: seed);

    /// <summary>A GGUF file with the given differences from <see cref="Llama3"/>.</summary>
    /// <param name="architecture">The <c>general.architecture</c> value.</param>
    /// <param name="replaceMetadata">Tokenizer keys to overwrite (e.g. <c>tokenizer.ggml.model</c>).</param>
    /// <param name="weightBytes">Size of the one tensor; 0 writes no tensor at all (a vocabulary-only file).</param>
    /// <param name="seed">Seed of the tensor's bytes.</param>
    public static byte[] Write(
        string architecture = "llama",
        IReadOnlyDictionary<string, GgufValue>? replaceMetadata = null,
        int weightBytes = 1 << 20,
        int seed = 1)
    {
        using var stream = new MemoryStream();
        using (var writer = new GgufWriter(stream, leaveOpen: true))
        {
            writer.AddMetadata(GgufConstants.ArchitectureKey, GgufValue.FromString(architecture));
            writer.AddMetadata("general.name", GgufValue.FromString("pull test model"));
            writer.AddMetadata("general.size_label", GgufValue.FromString("1B"));
            writer.AddMetadata("general.file_type", GgufValue.FromUInt32(7));
            foreach (var (key, value) in Vocabulary.Value.Entries)
            {
                writer.AddMetadata(key, replaceMetadata?.GetValueOrDefault(key) ?? value);
            }

            if (weightBytes > 0)
            {
                writer.AddTensor("token_embd.weight", GgmlType.F32, [weightBytes / 4]);
            }

            writer.WriteHeader();
            if (weightBytes > 0)
            {
                var data = new byte[weightBytes / 4 * 4];
                new Random(seed).NextBytes(data);
                writer.WriteTensorData(data);
            }

            writer.Complete();
        }

        return stream.ToArray();
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
