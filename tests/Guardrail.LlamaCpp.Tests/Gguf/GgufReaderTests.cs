using Guardrail.LlamaCpp.Gguf;
using Guardrail.LlamaCpp.Tests.TestSupport;

namespace Guardrail.LlamaCpp.Tests.Gguf;

public sealed class GgufReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Read_LlamaVocabFile_ReturnsArchitectureAndTokenizerArrays()
    {
        var file = GgufReader.Read(TestAssets.VocabGguf);

        Assert.Equal(3u, file.Version);
        Assert.Equal("llama", file.Architecture);
        Assert.Equal("gpt2", file.TryGetString("tokenizer.ggml.model"));
        var tokens = file.Find("tokenizer.ggml.tokens")!.AsArray<string>();
        Assert.Equal(128256, tokens.Length);
        Assert.Equal("<|eot_id|>", tokens[128009]);
        Assert.Equal(GgufValueType.Int32, file.Find("tokenizer.ggml.token_type")!.ElementType);
        Assert.Equal(128000, file.TryGetInteger("tokenizer.ggml.bos_token_id"));
        Assert.Empty(file.Tensors);
        Assert.Equal(new FileInfo(TestAssets.VocabGguf).Length, file.FileSize);
    }

    [Fact]
    public void Read_EveryValueType_RoundTripsValuesAndOrder()
    {
        var bytes = GgufBytes.Header(tensors: 0, kvs: 13)
            .Kv("u8", GgufValueType.UInt8).U8(200)
            .Kv("i8", GgufValueType.Int8).U8(0xFF)
            .Kv("u16", GgufValueType.UInt16).U8(0x34).U8(0x12)
            .Kv("i16", GgufValueType.Int16).U8(0xFE).U8(0xFF)
            .KvU32("u32", 4_000_000_000)
            .Kv("i32", GgufValueType.Int32).I32(-7)
            .Kv("f32", GgufValueType.Float32).F32(1.5f)
            .Kv("bool", GgufValueType.Bool).U8(1)
            .KvString("str", "héllo")
            .Kv("u64", GgufValueType.UInt64).U64(ulong.MaxValue)
            .Kv("i64", GgufValueType.Int64).U64(unchecked((ulong)-9L))
            .Kv("f64", GgufValueType.Float64).U64((ulong)BitConverter.DoubleToInt64Bits(-2.25))
            .Kv("nested", GgufValueType.Array).U32((uint)GgufValueType.Array).U64(2)
                .U32((uint)GgufValueType.String).U64(1).Str("a")
                .U32((uint)GgufValueType.Float32).U64(2).F32(1f).F32(2f)
            .WriteTo(_temp.File("all.gguf"));

        var file = GgufReader.Read(bytes);

        Assert.Equal(
            ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "u64", "i64", "f64", "nested"],
            file.Metadata.Select(kv => kv.Key));
        Assert.Equal((byte)200, file.Find("u8")!.Value);
        Assert.Equal((sbyte)-1, file.Find("i8")!.Value);
        Assert.Equal((ushort)0x1234, file.Find("u16")!.Value);
        Assert.Equal((short)-2, file.Find("i16")!.Value);
        Assert.Equal(4_000_000_000L, file.TryGetInteger("u32"));
        Assert.Equal(-7L, file.Find("i32")!.AsInt64());
        Assert.Equal(1.5, file.Find("f32")!.AsDouble());
        Assert.True(file.Find("bool")!.AsBool());
        Assert.Equal("héllo", file.TryGetString("str"));
        Assert.Equal(ulong.MaxValue, file.Find("u64")!.AsUInt64());
        Assert.Null(file.TryGetInteger("u64"));
        Assert.Equal(-9L, file.Find("i64")!.AsInt64());
        Assert.Equal(-2.25, file.Find("f64")!.AsDouble());
        var nested = file.Find("nested")!.AsArray<GgufValue>();
        Assert.Equal(["a"], nested[0].AsArray<string>());
        Assert.Equal([1f, 2f], nested[1].AsArray<float>());
    }

    [Fact]
    public void Read_TensorInfos_GivesOffsetsSizesAndAlignment()
    {
        var path = GgufBytes.Header(tensors: 2, kvs: 2)
            .KvString("general.architecture", "llama")
            .KvU32("general.alignment", 64)
            .Tensor("a", GgmlType.F32, 0, 4, 2)
            .Tensor("b", GgmlType.Q8_0, 64, 64)
            .PadTo(64)
            .Zeros(64 + 68)
            .WriteTo(_temp.File("tensors.gguf"));

        var file = GgufReader.Read(path);

        Assert.Equal(64u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        var a = file.FindTensor("a")!;
        Assert.Equal([4L, 2L], a.Dimensions);
        Assert.Equal(8, a.ElementCount);
        Assert.Equal(32, a.ByteSize);
        Assert.Equal(file.DataOffset, a.FileOffset);
        var b = file.FindTensor("b")!;
        Assert.Equal(GgmlType.Q8_0, b.Type);
        Assert.Equal(68, b.ByteSize);
        Assert.Equal(file.DataOffset + 64, b.FileOffset);
    }

    [Fact]
    public void Read_MissingFile_ThrowsNamingThePath()
    {
        var path = _temp.File("nope.gguf");

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Directory_ThrowsClearMessage()
    {
        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(_temp.Path));

        Assert.Contains("is a directory", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x7D, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "not a GGUF")]
    [InlineData(new byte[] { 0x47, 0x47, 0x55 }, "too short")]
    public void Read_NotGguf_ThrowsClearMessage(byte[] content, string expected)
    {
        var path = _temp.File("bad.gguf");
        File.WriteAllBytes(path, content);

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(1000)]
    [InlineData(4_000_000)]
    public void Read_TruncatedVocabFile_ThrowsTruncated(int keep)
    {
        var path = _temp.File("truncated.gguf");
        using (var source = File.OpenRead(TestAssets.VocabGguf))
        using (var target = File.Create(path))
        {
            var buffer = new byte[keep];
            source.ReadExactly(buffer);
            target.Write(buffer);
        }

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnsupportedVersion_Throws()
    {
        var path = GgufBytes.Header(0, 0, version: 1).WriteTo(_temp.File("v1.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("version 1 is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HugeMetadataCount_ThrowsWithoutAllocating()
    {
        var path = GgufBytes.Header(0, ulong.MaxValue).WriteTo(_temp.File("count.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("metadata count", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CountBeyondFileSize_Throws()
    {
        var path = GgufBytes.Header(0, 1000).KvU32("a", 1).WriteTo(_temp.File("short.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("bytes remain", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HugeStringLength_Throws()
    {
        var path = GgufBytes.Header(0, 1).U64(1UL << 40).Zeros(16).WriteTo(_temp.File("string.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("over the limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ArrayLongerThanFile_Throws()
    {
        var path = GgufBytes.Header(0, 1).Kv("arr", GgufValueType.Array).U32((uint)GgufValueType.UInt64).U64(1_000_000).Zeros(8)
            .WriteTo(_temp.File("array.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("length of array 'arr'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ArrayOverConfiguredLimit_Throws()
    {
        var path = GgufBytes.Header(0, 1).Kv("arr", GgufValueType.Array).U32((uint)GgufValueType.UInt8).U64(100).Zeros(100)
            .WriteTo(_temp.File("limit.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path, GgufReaderLimits.Default with { MaxArrayLength = 10 }));

        Assert.Contains("over the limit of 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DeeplyNestedArrays_Throws()
    {
        var bytes = GgufBytes.Header(0, 1).Kv("deep", GgufValueType.Array);
        for (var i = 0; i < 10; i++)
        {
            bytes.U32((uint)GgufValueType.Array).U64(1);
        }

        var path = bytes.U32((uint)GgufValueType.UInt8).U64(0).Zeros(64).WriteTo(_temp.File("deep.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("nests arrays deeper", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuplicateKey_Throws()
    {
        var path = GgufBytes.Header(0, 2).KvU32("k", 1).KvU32("k", 2).WriteTo(_temp.File("dup.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("'k' appears twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownValueType_Throws()
    {
        var path = GgufBytes.Header(0, 1).Kv("k", (GgufValueType)99).Zeros(8).WriteTo(_temp.File("type.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("unknown value type 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TensorDataBeyondEnd_ThrowsTruncated()
    {
        var path = GgufBytes.Header(1, 0).Tensor("w", GgmlType.F32, 0, 1024, 1024).PadTo(32).Zeros(16)
            .WriteTo(_temp.File("data.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("beyond the end of the file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TooManyDimensions_Throws()
    {
        var path = GgufBytes.Header(1, 0).Tensor("w", GgmlType.F32, 0, 1, 1, 1, 1, 1).PadTo(32).Zeros(32)
            .WriteTo(_temp.File("dims.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("5 dimensions", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MisalignedTensorOffset_Throws()
    {
        var path = GgufBytes.Header(1, 0).Tensor("w", GgmlType.F32, 4, 4).PadTo(32).Zeros(64)
            .WriteTo(_temp.File("misaligned.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("not a multiple of the alignment", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BadAlignmentValue_Throws()
    {
        var path = GgufBytes.Header(0, 1).KvU32("general.alignment", 48).WriteTo(_temp.File("align.gguf"));

        var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path));

        Assert.Contains("power of two", ex.Message, StringComparison.Ordinal);
    }
}
