using Guardrail.LlamaCpp.Gguf;
using Guardrail.ModelSynthesis;

namespace Guardrail.Fuzz;

/// <summary>
/// Writes the gguf target's seed corpus (<c>Guardrail.Fuzz write-gguf-seeds DIR</c>) with the synthesis GGUF writer:
/// a few files of a few hundred bytes that reach each part of the reader (every value type, nested arrays, tensors
/// of a plain and a block type, another alignment, another architecture, no weights).
/// </summary>
internal static class GgufSeeds
{
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        Write(directory, "llama-tiny.gguf", 32, writer =>
        {
            writer.AddMetadata("general.architecture", GgufValue.FromString("llama"));
            writer.AddMetadata("general.size_label", GgufValue.FromString("1B"));
            writer.AddMetadata("llama.context_length", GgufValue.FromUInt32(128));
            writer.AddMetadata("tokenizer.ggml.tokens", GgufValue.FromArray(GgufValueType.String, new[] { "<s>", "a", "b" }));
            writer.AddMetadata("tokenizer.ggml.scores", GgufValue.FromArray(GgufValueType.Float32, new[] { 0f, -1f, -2f }));
            writer.AddTensor("token_embd.weight", GgmlType.F32, [4, 2]);
        });
        Write(directory, "every-type.gguf", 32, writer =>
        {
            writer.AddMetadata("general.architecture", GgufValue.FromString("llama"));
            writer.AddMetadata("t.u8", GgufValue.FromUInt8(1));
            writer.AddMetadata("t.i8", GgufValue.FromInt8(-1));
            writer.AddMetadata("t.u16", GgufValue.FromUInt16(2));
            writer.AddMetadata("t.i16", GgufValue.FromInt16(-2));
            writer.AddMetadata("t.i32", GgufValue.FromInt32(-3));
            writer.AddMetadata("t.u64", GgufValue.FromUInt64(4));
            writer.AddMetadata("t.i64", GgufValue.FromInt64(-4));
            writer.AddMetadata("t.f64", GgufValue.FromFloat64(0.5));
            writer.AddMetadata("t.bool", GgufValue.FromBool(true));
            writer.AddMetadata("t.bytes", GgufValue.FromArray(GgufValueType.UInt8, new byte[] { 1, 2, 3 }));
            writer.AddMetadata("t.nested", GgufValue.FromArray(GgufValueType.Array, new[]
            {
                GgufValue.FromArray(GgufValueType.Int32, new[] { 1, 2 }),
                GgufValue.FromArray(GgufValueType.Bool, new[] { false }),
            }));
        });
        Write(directory, "q8-aligned64.gguf", 64, writer =>
        {
            writer.AddMetadata("general.architecture", GgufValue.FromString("llama"));
            writer.AddTensor("blk.0.attn_q.weight", GgmlType.Q8_0, [32, 1]);
            writer.AddTensor("output_norm.weight", GgmlType.F16, [8]);
        });
        Write(directory, "other-arch.gguf", 32, writer =>
        {
            writer.AddMetadata("general.architecture", GgufValue.FromString("gpt2"));
            writer.AddTensor("w", GgmlType.F32, [1]);
        });
    }

    private static void Write(string directory, string name, uint alignment, Action<GgufWriter> declare)
    {
        using var stream = File.Create(Path.Combine(directory, name));
        using var writer = new GgufWriter(stream, alignment);
        declare(writer);
        writer.WriteHeader();
        while (writer.CurrentTensorName is not null)
        {
            writer.WriteTensorData([0]);
        }

        writer.Complete();
    }
}
