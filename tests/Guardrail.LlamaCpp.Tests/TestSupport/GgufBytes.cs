using System.Text;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.LlamaCpp.Tests.TestSupport;

/// <summary>
/// Writes little-endian GGUF headers byte by byte (tests run on little-endian x64), including malformed ones, so reader tests control every field. Deliberately
/// independent of the production writer: a shared bug would otherwise pass both.
/// </summary>
internal sealed class GgufBytes
{
    private readonly List<byte> _bytes = [];

    public static GgufBytes Header(ulong tensors, ulong kvs, uint version = 3) =>
        new GgufBytes().U32(GgufConstants.Magic).U32(version).U64(tensors).U64(kvs);

    public GgufBytes U8(byte v) { _bytes.Add(v); return this; }

    public GgufBytes U32(uint v) { _bytes.AddRange(BitConverter.GetBytes(v)); return this; }

    public GgufBytes I32(int v) { _bytes.AddRange(BitConverter.GetBytes(v)); return this; }

    public GgufBytes U64(ulong v) { _bytes.AddRange(BitConverter.GetBytes(v)); return this; }

    public GgufBytes F32(float v) { _bytes.AddRange(BitConverter.GetBytes(v)); return this; }

    public GgufBytes Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        U64((ulong)bytes.Length);
        _bytes.AddRange(bytes);
        return this;
    }

    public GgufBytes Kv(string key, GgufValueType type) => Str(key).U32((uint)type);

    public GgufBytes KvString(string key, string value) => Kv(key, GgufValueType.String).Str(value);

    public GgufBytes KvU32(string key, uint value) => Kv(key, GgufValueType.UInt32).U32(value);

    public GgufBytes Tensor(string name, GgmlType type, ulong offset, params ulong[] dims)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims)
        {
            U64(d);
        }

        return U32((uint)type).U64(offset);
    }

    public GgufBytes PadTo(uint alignment)
    {
        while (_bytes.Count % alignment != 0)
        {
            _bytes.Add(0);
        }

        return this;
    }

    public GgufBytes Zeros(int count)
    {
        _bytes.AddRange(new byte[count]);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, ToArray());
        return path;
    }
}
