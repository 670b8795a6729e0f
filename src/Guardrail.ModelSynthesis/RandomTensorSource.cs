using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis;

/// <summary>
/// Deterministic random weights for shape-faithful models: matrices in F16, norms in F32 (as llama.cpp's converter
/// stores them). Each tensor's content depends only on the seed and its name, never on write order.
/// </summary>
/// <remarks>
/// Matrices are drawn from a normal distribution with standard deviation 1/sqrt(input width), so every projection of a
/// unit-RMS activation has unit variance and activations stay finite through any number of blocks; embeddings have unit
/// variance and norm weights are 1. Sampling goes through a 65536-entry table of pre-drawn F16 values per scale, which
/// keeps a 3 GB model's generation I/O-bound.
/// </remarks>
internal sealed class RandomTensorSource : ILlamaTensorSource
{
    private const int TableSize = 1 << 16;
    private const int ChunkBytes = 1 << 20;
    private readonly ulong _seed;
    private readonly Dictionary<long, ushort[]> _tables = [];

    public RandomTensorSource(ulong seed)
    {
        _seed = seed;
    }

    public GgmlType TypeOf(LlamaTensorSpec tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.Role == LlamaTensorRole.Norm ? GgmlType.F32 : GgmlType.F16;
    }

    public void Write(LlamaTensorSpec tensor, GgufWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(writer);
        if (tensor.Role == LlamaTensorRole.Norm)
        {
            var ones = new float[tensor.ElementCount];
            Array.Fill(ones, 1f);
            writer.WriteTensorData(MemoryMarshal.AsBytes(ones.AsSpan()));
            return;
        }

        // Embedding rows are read as they are; every other matrix multiplies a unit-RMS input of width ne[0].
        var fanIn = tensor.Role == LlamaTensorRole.TokenEmbedding ? 1 : tensor.Dimensions[0];
        var table = TableFor(fanIn);
        var state = Mix(_seed ^ StableHash(tensor.Name));
        var buffer = new ushort[ChunkBytes / sizeof(ushort)];
        var remaining = tensor.ElementCount;
        while (remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = (int)Math.Min(buffer.Length, remaining);
            for (var i = 0; i < count; i += 4)
            {
                var bits = Next(ref state);
                buffer[i] = table[(int)(bits & 0xFFFF)];
                if (i + 1 < count)
                {
                    buffer[i + 1] = table[(int)((bits >> 16) & 0xFFFF)];
                }

                if (i + 2 < count)
                {
                    buffer[i + 2] = table[(int)((bits >> 32) & 0xFFFF)];
                }

                if (i + 3 < count)
                {
                    buffer[i + 3] = table[(int)(bits >> 48)];
                }
            }

            if (!BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.ReverseEndianness(buffer.AsSpan(0, count), buffer.AsSpan(0, count));
            }

            writer.WriteTensorData(MemoryMarshal.AsBytes(buffer.AsSpan(0, count)));
            remaining -= count;
        }
    }

    private ushort[] TableFor(long fanIn)
    {
        if (_tables.TryGetValue(fanIn, out var table))
        {
            return table;
        }

        var deviation = 1.0 / Math.Sqrt(fanIn);
        var state = Mix(_seed ^ (ulong)fanIn ^ 0x9E3779B97F4A7C15UL);
        table = new ushort[TableSize];
        for (var i = 0; i < TableSize; i += 2)
        {
            // Box-Muller: two independent normals from two uniforms in (0, 1].
            var u1 = (double)((Next(ref state) >> 11) + 1) / (1UL << 53);
            var u2 = (double)(Next(ref state) >> 11) / (1UL << 53);
            var radius = Math.Sqrt(-2.0 * Math.Log(u1)) * deviation;
            table[i] = BitConverter.HalfToUInt16Bits((Half)(radius * Math.Cos(2 * Math.PI * u2)));
            table[i + 1] = BitConverter.HalfToUInt16Bits((Half)(radius * Math.Sin(2 * Math.PI * u2)));
        }

        _tables[fanIn] = table;
        return table;
    }

    // SplitMix64: tiny, fast, and good enough to decorrelate table indices.
    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // FNV-1a: string.GetHashCode is randomised per process, and the weights must be reproducible across runs.
    private static ulong StableHash(string text)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 0x100000001B3UL;
        }

        return hash;
    }
}
