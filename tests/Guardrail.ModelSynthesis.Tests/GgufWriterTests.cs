using System.Runtime.InteropServices;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis.Tests;

public sealed class GgufWriterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void WriteHeader_EveryValueType_ReadsBackWithSameTypesValuesAndOrder()
    {
        var path = _temp.File("values.gguf");
        using (var writer = new GgufWriter(File.Create(path)))
        {
            writer.AddMetadata("u8", GgufValue.FromUInt8(200));
            writer.AddMetadata("i8", GgufValue.FromInt8(-3));
            writer.AddMetadata("u16", GgufValue.FromUInt16(0x1234));
            writer.AddMetadata("i16", GgufValue.FromInt16(-2));
            writer.AddMetadata("u32", GgufValue.FromUInt32(4_000_000_000));
            writer.AddMetadata("i32", GgufValue.FromInt32(-7));
            writer.AddMetadata("u64", GgufValue.FromUInt64(ulong.MaxValue));
            writer.AddMetadata("i64", GgufValue.FromInt64(long.MinValue));
            writer.AddMetadata("f32", GgufValue.FromFloat32(1.5f));
            writer.AddMetadata("f64", GgufValue.FromFloat64(-2.25));
            writer.AddMetadata("bool", GgufValue.FromBool(true));
            writer.AddMetadata("str", GgufValue.FromString("héllo \u2603"));
            writer.AddMetadata("strings", GgufValue.FromArray(GgufValueType.String, new[] { "a", string.Empty, "Ġbomb", new string('x', 1000) }));
            writer.AddMetadata("floats", GgufValue.FromArray(GgufValueType.Float32, new[] { 0f, -1f, 3.5f }));
            writer.AddMetadata("ints", GgufValue.FromArray(GgufValueType.Int32, new[] { 1, -2, 3 }));
            writer.AddMetadata("bools", GgufValue.FromArray(GgufValueType.Bool, new[] { true, false }));
            writer.AddMetadata("bytes", GgufValue.FromArray(GgufValueType.UInt8, new byte[] { 1, 2, 255 }));
            writer.AddMetadata("nested", GgufValue.FromArray(GgufValueType.Array, new[]
            {
                GgufValue.FromArray(GgufValueType.UInt16, new ushort[] { 7, 8 }),
                GgufValue.FromArray(GgufValueType.String, new[] { "z" }),
            }));
            writer.WriteHeader();
            writer.Complete();
        }

        var file = GgufReader.Read(path);

        Assert.Equal(3u, file.Version);
        Assert.Equal(
            ["general.alignment", "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "bool", "str", "strings", "floats", "ints", "bools", "bytes", "nested"],
            file.Metadata.Select(kv => kv.Key));
        Assert.Equal(32u, file.Alignment);
        Assert.Equal((byte)200, file.Find("u8")!.Value);
        Assert.Equal((sbyte)-3, file.Find("i8")!.Value);
        Assert.Equal((ushort)0x1234, file.Find("u16")!.Value);
        Assert.Equal((short)-2, file.Find("i16")!.Value);
        Assert.Equal(4_000_000_000u, file.Find("u32")!.Value);
        Assert.Equal(-7, file.Find("i32")!.Value);
        Assert.Equal(ulong.MaxValue, file.Find("u64")!.Value);
        Assert.Equal(long.MinValue, file.Find("i64")!.Value);
        Assert.Equal(1.5f, file.Find("f32")!.Value);
        Assert.Equal(-2.25, file.Find("f64")!.Value);
        Assert.Equal(true, file.Find("bool")!.Value);
        Assert.Equal("héllo \u2603", file.TryGetString("str"));
        Assert.Equal(["a", string.Empty, "Ġbomb", new string('x', 1000)], file.Find("strings")!.AsArray<string>());
        Assert.Equal([0f, -1f, 3.5f], file.Find("floats")!.AsArray<float>());
        Assert.Equal([1, -2, 3], file.Find("ints")!.AsArray<int>());
        Assert.Equal([true, false], file.Find("bools")!.AsArray<bool>());
        Assert.Equal(new byte[] { 1, 2, 255 }, file.Find("bytes")!.AsArray<byte>());
        var nested = file.Find("nested")!.AsArray<GgufValue>();
        Assert.Equal(new ushort[] { 7, 8 }, nested[0].AsArray<ushort>());
        Assert.Equal(["z"], nested[1].AsArray<string>());
    }

    [Theory]
    [InlineData(32u)]
    [InlineData(64u)]
    public void WriteTensorData_MixedTypesAndOddSizes_OffsetsAlignedAndBytesWhereTheReaderSays(uint alignment)
    {
        var path = _temp.File("tensors.gguf");
        var f32 = Enumerable.Range(0, 7 * 3).Select(i => i * 0.5f).ToArray();
        var f16 = Enumerable.Range(0, 5).Select(i => (Half)(i - 2)).ToArray();
        var q8 = Enumerable.Range(0, 34 * 2).Select(i => (byte)i).ToArray();
        using (var writer = new GgufWriter(File.Create(path), alignment))
        {
            writer.AddMetadata("general.architecture", GgufValue.FromString("test"));
            writer.AddTensor("a", GgmlType.F32, [7, 3]);
            writer.AddTensor("b", GgmlType.F16, [5]);
            writer.AddTensor("c", GgmlType.Q8_0, [64, 1]);
            writer.WriteHeader();

            // Chunks that straddle tensor boundaries, as a streaming producer may write them.
            var all = MemoryMarshal.AsBytes(f32.AsSpan()).ToArray()
                .Concat(MemoryMarshal.AsBytes(f16.AsSpan()).ToArray())
                .Concat(q8)
                .ToArray();
            writer.WriteTensorData(all.AsSpan(0, 50));
            writer.WriteTensorData(all.AsSpan(50, 40));
            writer.WriteTensorData(all.AsSpan(90));
            writer.Complete();
        }

        var file = GgufReader.Read(path);
        var bytes = File.ReadAllBytes(path);

        Assert.Equal(alignment, file.Alignment);
        Assert.Equal(["a", "b", "c"], file.Tensors.Select(t => t.Name));
        Assert.Equal([7L, 3L], file.Tensors[0].Dimensions);
        Assert.Equal([GgmlType.F32, GgmlType.F16, GgmlType.Q8_0], file.Tensors.Select(t => t.Type));
        Assert.All(file.Tensors, t => Assert.Equal(0, t.FileOffset % alignment));
        Assert.Equal(MemoryMarshal.AsBytes(f32.AsSpan()).ToArray(), bytes.AsSpan((int)file.Tensors[0].FileOffset, f32.Length * 4).ToArray());
        Assert.Equal(MemoryMarshal.AsBytes(f16.AsSpan()).ToArray(), bytes.AsSpan((int)file.Tensors[1].FileOffset, f16.Length * 2).ToArray());
        Assert.Equal(q8, bytes.AsSpan((int)file.Tensors[2].FileOffset, q8.Length).ToArray());
        Assert.Equal(0, bytes.Length % alignment);
    }

    [Fact]
    public void Complete_TensorShortOfBytes_ThrowsNamingTheTensor()
    {
        using var writer = new GgufWriter(new MemoryStream());
        writer.AddTensor("short", GgmlType.F32, [4]);
        writer.WriteHeader();
        writer.WriteTensorData(new byte[12]);

        var error = Assert.Throws<InvalidOperationException>(writer.Complete);

        Assert.Contains("'short' has 12 of 16 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTensorData_MoreThanDeclared_Throws()
    {
        using var writer = new GgufWriter(new MemoryStream());
        writer.AddTensor("t", GgmlType.F16, [2]);
        writer.WriteHeader();

        Assert.Throws<InvalidOperationException>(() => writer.WriteTensorData(new byte[6]));
    }

    [Fact]
    public void AddMetadata_DuplicateOrAlignmentKey_Throws()
    {
        using var writer = new GgufWriter(new MemoryStream());
        writer.AddMetadata("k", GgufValue.FromUInt32(1));

        Assert.Throws<ArgumentException>(() => writer.AddMetadata("k", GgufValue.FromUInt32(2)));
        Assert.Throws<ArgumentException>(() => writer.AddMetadata("general.alignment", GgufValue.FromUInt32(64)));
    }

    [Fact]
    public void AddTensor_RowNotWholeBlocksOrBadShape_Throws()
    {
        using var writer = new GgufWriter(new MemoryStream());

        Assert.Throws<ArgumentException>(() => writer.AddTensor("q", GgmlType.Q8_0, [33]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("z", GgmlType.F32, [0]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("five", GgmlType.F32, [1, 1, 1, 1, 1]));
        writer.AddTensor("ok", GgmlType.F32, [1]);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("ok", GgmlType.F32, [1]));
    }

    [Fact]
    public void AddMetadata_AfterHeader_Throws()
    {
        using var writer = new GgufWriter(new MemoryStream());
        writer.WriteHeader();

        Assert.Throws<InvalidOperationException>(() => writer.AddMetadata("late", GgufValue.FromBool(false)));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(48u)]
    public void Constructor_AlignmentNotPowerOfTwo_Throws(uint alignment)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter(new MemoryStream(), alignment));
    }

    [Fact]
    public void Constructor_StreamNotAtStart_Throws()
    {
        using var stream = new MemoryStream();
        stream.WriteByte(1);

        Assert.Throws<ArgumentException>(() => new GgufWriter(stream));
    }
}
