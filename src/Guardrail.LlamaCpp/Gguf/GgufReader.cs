using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Guardrail.LlamaCpp.Gguf;

/// <summary>
/// Reads the header of a GGUF file (metadata and tensor descriptions) in managed code, so that a missing, truncated
/// or foreign file is reported with a clear message before llama.cpp sees it. Tensor data is never read.
/// </summary>
internal static class GgufReader
{
    // Smallest on-disk size of one metadata entry (key length, empty key, type tag, one-byte value) and of one tensor
    // description (name length, n_dims, one dimension, type, offset): counts are checked against what is left.
    private const int MinMetadataEntryBytes = 8 + 4 + 1;
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Reads the header of the GGUF file at <paramref name="path"/>.</summary>
    /// <exception cref="GgufFormatException">The file is missing, unreadable, or not a well-formed GGUF file.</exception>
    public static GgufFile Read(string path, GgufReaderLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new GgufFormatException($"Model path '{fullPath}' is a directory, not a GGUF file.");
        }

        if (!File.Exists(fullPath))
        {
            throw new GgufFormatException($"Model file '{fullPath}' does not exist.");
        }

        FileStream stream;
        try
        {
            stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new GgufFormatException($"Model file '{fullPath}' cannot be opened: {ex.Message}", ex);
        }

        using (stream)
        {
            return Read(stream, fullPath, limits);
        }
    }

    /// <summary>Reads a GGUF header from a seekable stream positioned at the start of the file.</summary>
    /// <param name="stream">The file content; must support seeking and length.</param>
    /// <param name="source">Name used in error messages.</param>
    /// <param name="limits">Allocation bounds; <see cref="GgufReaderLimits.Default"/> when null.</param>
    public static GgufFile Read(Stream stream, string source, GgufReaderLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        if (!stream.CanSeek || !stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        }

        var cursor = new Cursor(stream, source, limits ?? GgufReaderLimits.Default);
        try
        {
            return ReadHeader(cursor);
        }
        catch (EndOfStreamException ex)
        {
            throw cursor.Fail("the file ends in the middle of the header (truncated)", ex);
        }
        catch (IOException ex)
        {
            throw new GgufFormatException($"GGUF file '{source}' cannot be read: {ex.Message}", ex);
        }
    }

    private static GgufFile ReadHeader(Cursor cursor)
    {
        if (cursor.Length < 4 + 4 + 8 + 8)
        {
            throw cursor.Fail(cursor.Length == 0 ? "the file is empty" : "the file is too short to hold a GGUF header (truncated or not GGUF)");
        }

        var magic = cursor.ReadUInt32();
        if (magic != GgufConstants.Magic)
        {
            throw cursor.Fail(string.Create(
                CultureInfo.InvariantCulture,
                $"it does not start with the GGUF magic (found 0x{magic:X8}); it is not a GGUF model file"));
        }

        var version = cursor.ReadUInt32();
        if (version is < GgufConstants.MinReadableVersion or > GgufConstants.Version)
        {
            throw cursor.Fail(string.Create(
                CultureInfo.InvariantCulture,
                $"GGUF version {version} is not supported (supported: {GgufConstants.MinReadableVersion} to {GgufConstants.Version})"));
        }

        var tensorCount = cursor.ReadCount("tensor count", cursor.Limits.MaxTensorCount, MinTensorInfoBytes);
        var metadataCount = cursor.ReadCount("metadata count", cursor.Limits.MaxMetadataCount, MinMetadataEntryBytes);

        var metadata = new List<KeyValuePair<string, GgufValue>>(metadataCount);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < metadataCount; i++)
        {
            var key = cursor.ReadString("metadata key");
            if (key.Length == 0)
            {
                throw cursor.Fail(string.Create(CultureInfo.InvariantCulture, $"metadata entry {i} has an empty key"));
            }

            if (!keys.Add(key))
            {
                throw cursor.Fail($"metadata key '{key}' appears twice");
            }

            var type = cursor.ReadValueType(key);
            metadata.Add(new(key, ReadValue(cursor, key, type, depth: 0)));
        }

        var alignment = GgufConstants.DefaultAlignment;
        var alignmentEntry = metadata.Find(kv => string.Equals(kv.Key, GgufConstants.AlignmentKey, StringComparison.Ordinal)).Value;
        if (alignmentEntry is not null)
        {
            if (alignmentEntry.Type != GgufValueType.UInt32 || (uint)alignmentEntry.Value is var a && (a == 0 || (a & (a - 1)) != 0))
            {
                throw cursor.Fail($"'{GgufConstants.AlignmentKey}' must be a uint32 power of two, found {alignmentEntry.Type} {alignmentEntry}");
            }

            alignment = (uint)alignmentEntry.Value;
        }

        var pending = new List<(string Name, long[] Dims, GgmlType Type, ulong Offset)>(tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tensorCount; i++)
        {
            var name = cursor.ReadString("tensor name");
            if (!names.Add(name))
            {
                throw cursor.Fail($"tensor '{name}' appears twice");
            }

            var dimCount = cursor.ReadUInt32();
            if (dimCount is 0 or > GgufConstants.MaxDimensions)
            {
                throw cursor.Fail(string.Create(CultureInfo.InvariantCulture, $"tensor '{name}' has {dimCount} dimensions (1 to {GgufConstants.MaxDimensions} allowed)"));
            }

            var dims = new long[dimCount];
            for (var d = 0; d < dims.Length; d++)
            {
                var size = cursor.ReadUInt64();
                if (size > int.MaxValue * 4L)
                {
                    throw cursor.Fail(string.Create(CultureInfo.InvariantCulture, $"tensor '{name}' dimension {d} is {size}, beyond any real model"));
                }

                dims[d] = (long)size;
            }

            var type = (GgmlType)cursor.ReadUInt32();
            if (!Enum.IsDefined(type))
            {
                throw cursor.Fail(string.Create(CultureInfo.InvariantCulture, $"tensor '{name}' has unknown ggml type {(uint)type}"));
            }

            pending.Add((name, dims, type, cursor.ReadUInt64()));
        }

        var dataOffset = GgufConstants.Align(cursor.Position, alignment);
        var tensors = new List<GgufTensorInfo>(pending.Count);
        foreach (var (name, dims, type, offset) in pending)
        {
            tensors.Add(DescribeTensor(cursor, name, dims, type, offset, alignment, dataOffset));
        }

        return new GgufFile(cursor.Source, version, cursor.Length, alignment, dataOffset, metadata, tensors);
    }

    private static GgufTensorInfo DescribeTensor(Cursor cursor, string name, long[] dims, GgmlType type, ulong offset, uint alignment, long dataOffset)
    {
        long elements = 1;
        try
        {
            foreach (var d in dims)
            {
                elements = checked(elements * d);
            }
        }
        catch (OverflowException)
        {
            throw cursor.Fail($"tensor '{name}' has more elements than fit in 64 bits");
        }

        if (offset % alignment != 0)
        {
            throw cursor.Fail(string.Create(CultureInfo.InvariantCulture, $"tensor '{name}' offset {offset} is not a multiple of the alignment {alignment}"));
        }

        long? bytes = null;
        if (GgmlTypeTraits.TryGetBlock(type, out var perBlock, out _))
        {
            if (dims[0] % perBlock != 0)
            {
                throw cursor.Fail(string.Create(CultureInfo.InvariantCulture, $"tensor '{name}' row length {dims[0]} is not a multiple of the {type} block size {perBlock}"));
            }

            try
            {
                bytes = GgmlTypeTraits.ByteSize(type, elements);
            }
            catch (OverflowException)
            {
                throw cursor.Fail($"tensor '{name}' has more bytes than fit in 64 bits");
            }
        }

        // Compared as "size > room left after the offset" so that a huge size cannot wrap the tensor's end around.
        var available = cursor.Length - dataOffset;
        if (offset > (ulong)Math.Max(available, 0) || (bytes is { } b && b > available - (long)offset))
        {
            throw cursor.Fail(string.Create(
                CultureInfo.InvariantCulture,
                $"tensor '{name}' ({bytes?.ToString(CultureInfo.InvariantCulture) ?? "?"} bytes at data offset {offset}) lies beyond the end of the file (truncated)"));
        }

        return new GgufTensorInfo(name, dims, type, (long)offset, dataOffset + (long)offset, elements, bytes);
    }

    private static GgufValue ReadValue(Cursor cursor, string key, GgufValueType type, int depth) => type switch
    {
        GgufValueType.UInt8 => GgufValue.FromUInt8(cursor.ReadByte()),
        GgufValueType.Int8 => GgufValue.FromInt8((sbyte)cursor.ReadByte()),
        GgufValueType.UInt16 => GgufValue.FromUInt16(cursor.ReadUInt16()),
        GgufValueType.Int16 => GgufValue.FromInt16((short)cursor.ReadUInt16()),
        GgufValueType.UInt32 => GgufValue.FromUInt32(cursor.ReadUInt32()),
        GgufValueType.Int32 => GgufValue.FromInt32((int)cursor.ReadUInt32()),
        GgufValueType.UInt64 => GgufValue.FromUInt64(cursor.ReadUInt64()),
        GgufValueType.Int64 => GgufValue.FromInt64((long)cursor.ReadUInt64()),
        GgufValueType.Float32 => GgufValue.FromFloat32(BitConverter.Int32BitsToSingle((int)cursor.ReadUInt32())),
        GgufValueType.Float64 => GgufValue.FromFloat64(BitConverter.Int64BitsToDouble((long)cursor.ReadUInt64())),
        GgufValueType.Bool => GgufValue.FromBool(cursor.ReadBool(key)),
        GgufValueType.String => GgufValue.FromString(cursor.ReadString(key)),
        GgufValueType.Array => ReadArray(cursor, key, depth),
        _ => throw cursor.Fail($"metadata '{key}' has unknown value type {(uint)type}"),
    };

    private static GgufValue ReadArray(Cursor cursor, string key, int depth)
    {
        if (depth >= cursor.Limits.MaxArrayDepth)
        {
            throw cursor.Fail($"metadata '{key}' nests arrays deeper than {cursor.Limits.MaxArrayDepth}");
        }

        var elementType = cursor.ReadValueType(key);
        var count = cursor.ReadCount($"length of array '{key}'", cursor.Limits.MaxArrayLength, MinElementBytes(elementType));
        Array items = elementType switch
        {
            GgufValueType.UInt8 => cursor.ReadBytes(count),
            GgufValueType.Int8 => Fill(new sbyte[count], () => (sbyte)cursor.ReadByte()),
            GgufValueType.UInt16 => Fill(new ushort[count], cursor.ReadUInt16),
            GgufValueType.Int16 => Fill(new short[count], () => (short)cursor.ReadUInt16()),
            GgufValueType.UInt32 => Fill(new uint[count], cursor.ReadUInt32),
            GgufValueType.Int32 => Fill(new int[count], () => (int)cursor.ReadUInt32()),
            GgufValueType.UInt64 => Fill(new ulong[count], cursor.ReadUInt64),
            GgufValueType.Int64 => Fill(new long[count], () => (long)cursor.ReadUInt64()),
            GgufValueType.Float32 => Fill(new float[count], () => BitConverter.Int32BitsToSingle((int)cursor.ReadUInt32())),
            GgufValueType.Float64 => Fill(new double[count], () => BitConverter.Int64BitsToDouble((long)cursor.ReadUInt64())),
            GgufValueType.Bool => Fill(new bool[count], () => cursor.ReadBool(key)),
            GgufValueType.String => Fill(new string[count], () => cursor.ReadString(key)),
            GgufValueType.Array => Fill(new GgufValue[count], () => ReadArray(cursor, key, depth + 1)),
            _ => throw cursor.Fail($"metadata '{key}' is an array of unknown value type {(uint)elementType}"),
        };
        return GgufValue.FromArray(elementType, items);
    }

    private static int MinElementBytes(GgufValueType type) => type switch
    {
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        GgufValueType.Array => 4 + 8,
        _ => 1,
    };

    private static T[] Fill<T>(T[] items, Func<T> read)
    {
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = read();
        }

        return items;
    }

    /// <summary>Little-endian reads with bounds checked against the bytes left in the file.</summary>
    private sealed class Cursor(Stream stream, string source, GgufReaderLimits limits)
    {
        private readonly byte[] _scratch = new byte[8];

        public string Source { get; } = source;

        public GgufReaderLimits Limits { get; } = limits;

        public long Length { get; } = stream.Length;

        public long Position => stream.Position;

        private long Remaining => Length - stream.Position;

        public byte ReadByte()
        {
            var b = stream.ReadByte();
            return b < 0 ? throw new EndOfStreamException() : (byte)b;
        }

        public bool ReadBool(string key)
        {
            var b = ReadByte();
            return b <= 1 ? b == 1 : throw Fail($"metadata '{key}' has a bool that is neither 0 nor 1");
        }

        public ushort ReadUInt16()
        {
            stream.ReadExactly(_scratch, 0, 2);
            return BinaryPrimitives.ReadUInt16LittleEndian(_scratch);
        }

        public uint ReadUInt32()
        {
            stream.ReadExactly(_scratch, 0, 4);
            return BinaryPrimitives.ReadUInt32LittleEndian(_scratch);
        }

        public ulong ReadUInt64()
        {
            stream.ReadExactly(_scratch, 0, 8);
            return BinaryPrimitives.ReadUInt64LittleEndian(_scratch);
        }

        public byte[] ReadBytes(int count)
        {
            var bytes = new byte[count];
            stream.ReadExactly(bytes);
            return bytes;
        }

        public GgufValueType ReadValueType(string key)
        {
            var raw = ReadUInt32();
            return raw <= (uint)GgufValueType.Float64
                ? (GgufValueType)raw
                : throw Fail(string.Create(CultureInfo.InvariantCulture, $"metadata '{key}' has unknown value type {raw}"));
        }

        /// <summary>Reads a uint64 count and rejects it when over the limit or when the file cannot hold that many items.</summary>
        public int ReadCount(string what, int limit, int minBytesPerItem)
        {
            var count = ReadUInt64();
            if (count > (ulong)limit)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"{what} is {count}, over the limit of {limit}"));
            }

            if (count * (ulong)minBytesPerItem > (ulong)Remaining)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"{what} is {count} but only {Remaining} bytes remain (truncated or corrupt)"));
            }

            return (int)count;
        }

        public string ReadString(string what)
        {
            var length = ReadUInt64();
            if (length > (ulong)Limits.MaxStringBytes)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"a string in {what} is {length} bytes, over the limit of {Limits.MaxStringBytes}"));
            }

            if (length > (ulong)Remaining)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"a string in {what} is {length} bytes but only {Remaining} remain (truncated)"));
            }

            if (length == 0)
            {
                return string.Empty;
            }

            var bytes = length <= 256 ? stackalloc byte[(int)length] : new byte[length];
            stream.ReadExactly(bytes);
            return Utf8.GetString(bytes);
        }

        public GgufFormatException Fail(string problem, Exception? inner = null)
        {
            var message = string.Create(CultureInfo.InvariantCulture, $"'{Source}' is not a valid GGUF file: {problem} (at byte {SafePosition()} of {Length}).");
            return inner is null ? new GgufFormatException(message) : new GgufFormatException(message, inner);
        }

        private long SafePosition()
        {
            try
            {
                return stream.Position;
            }
            catch (ObjectDisposedException)
            {
                return -1;
            }
        }
    }
}
