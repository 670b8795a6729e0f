using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Inference;

namespace Guardrail.Fuzz;

/// <summary>
/// <c>gguf</c>: one model file through the managed checks <see cref="LlamaModel.Load"/> runs before llama.cpp sees
/// the file (the GGUF reader with its default limits, then the architecture and weight checks), and the variant
/// detection that reads the same metadata. Contract: a header, a <see cref="GgufFormatException"/> or a
/// <see cref="NotSupportedException"/>; never another exception, and no allocation beyond the file's size.
/// </summary>
internal static class GgufTarget
{
    public static void Run(byte[] input)
    {
        GgufFile file;
        try
        {
            using var stream = new MemoryStream(input, writable: false);
            file = GgufReader.Read(stream, "fuzz.gguf");
        }
        catch (GgufFormatException)
        {
            return;
        }

        foreach (var tensor in file.Tensors)
        {
            if (tensor.FileOffset < file.DataOffset || tensor.FileOffset > file.FileSize || (tensor.ByteSize is { } size && (size < 0 || size > file.FileSize - tensor.FileOffset)))
            {
                throw new FuzzFindingException($"tensor '{tensor.Name}' was accepted though it lies outside the file.");
            }
        }

        _ = ModelVariantDetector.Detect(file);
        foreach (var vocabOnly in (ReadOnlySpan<bool>)[false, true])
        {
            try
            {
                LlamaModel.CheckSupported(file, vocabOnly);
            }
            catch (NotSupportedException)
            {
            }
        }
    }
}
