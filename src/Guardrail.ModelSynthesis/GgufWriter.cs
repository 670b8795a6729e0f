using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Guardrail.LlamaCpp.Gguf;

namespace Guardrail.ModelSynthesis;

/// <summary>
/// Writes a GGUF v3 file in one forward pass: metadata and tensor descriptions are declared first, the header is
/// written, then each tensor's bytes are streamed in declaration order. Tensor data never has to be held in memory as
/// a whole, which is what makes multi-gigabyte models writable.
/// </summary>
/// <remarks>
/// The writer owns <c>general.alignment</c>: it is always written with the alignment given to the constructor, and
/// declaring it as ordinary metadata is refused so that the header cannot disagree with the padding actually used.
/// </remarks>
internal sealed class GgufWriter : IDisposable
{
    private const uint MaxAlignment = 64 * 1024;
    private static readonly byte[] Zeros = new byte[MaxAlignment];

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly uint _alignment;
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly HashSet<string> _metadataKeys = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);
    private readonly byte[] _scratch = new byte[16];
    private State _state = State.Declaring;
    private long _position;
    private long _dataStart;
    private int _currentTensor;
    private long _currentWritten;

    /// <summary>Creates a writer over <paramref name="stream"/>, which must be positioned at its start.</summary>
    /// <param name="stream">Destination; written forward only.</param>
    /// <param name="alignment">Tensor data alignment in bytes; a power of two, 32 by default as in llama.cpp.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="stream"/> open.</param>
    public GgufWriter(Stream stream, uint alignment = GgufConstants.DefaultAlignment, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The GGUF destination stream is not writable.", nameof(stream));
        }

        // Padding is computed from the bytes this writer wrote, so they must be the whole file.
        if (stream.CanSeek && stream.Position != 0)
        {
            throw new ArgumentException("The GGUF destination stream must be positioned at its start.", nameof(stream));
        }

        if (alignment == 0 || alignment > MaxAlignment || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "GGUF alignment must be a power of two of at most 64 KiB.");
        }

        _stream = stream;
        _alignment = alignment;
        _leaveOpen = leaveOpen;
    }

    private enum State
    {
        Declaring,
        WritingData,
        Completed,
    }

    /// <summary>Number of tensors declared so far.</summary>
    public int TensorCount => _tensors.Count;

    /// <summary>Declares one metadata entry; entries are written in declaration order.</summary>
    public void AddMetadata(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        EnsureState(State.Declaring, "declare metadata");
        if (string.Equals(key, GgufConstants.AlignmentKey, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"'{GgufConstants.AlignmentKey}' is written by the GGUF writer from its constructor argument.", nameof(key));
        }

        if (!_metadataKeys.Add(key))
        {
            throw new ArgumentException($"GGUF metadata key '{key}' is declared twice.", nameof(key));
        }

        _metadata.Add(new(key, value));
    }

    /// <summary>Declares one tensor; its data must later be streamed through <see cref="WriteTensorData"/> in declaration order.</summary>
    /// <param name="name">Tensor name, for example <c>blk.0.attn_q.weight</c>.</param>
    /// <param name="type">Element type; its block geometry must be known.</param>
    /// <param name="dimensions">Sizes, innermost (ggml <c>ne[0]</c>) first; one to four, each positive.</param>
    public void AddTensor(string name, GgmlType type, IReadOnlyList<long> dimensions)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        EnsureState(State.Declaring, "declare tensors");
        if (dimensions.Count is 0 or > GgufConstants.MaxDimensions)
        {
            throw new ArgumentException($"Tensor '{name}' has {dimensions.Count} dimensions; ggml allows 1 to {GgufConstants.MaxDimensions}.", nameof(dimensions));
        }

        long elements = 1;
        foreach (var dimension in dimensions)
        {
            if (dimension <= 0)
            {
                throw new ArgumentException($"Tensor '{name}' has a non-positive dimension ({dimension}).", nameof(dimensions));
            }

            elements = checked(elements * dimension);
        }

        if (!GgmlTypeTraits.TryGetBlock(type, out var perBlock, out _) || dimensions[0] % perBlock != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Tensor '{name}' of type {type}: its row length {dimensions[0]} is not a whole number of {perBlock}-element blocks, or the type is unknown."),
                nameof(type));
        }

        if (!_tensorNames.Add(name))
        {
            throw new ArgumentException($"Tensor '{name}' is declared twice.", nameof(name));
        }

        var byteSize = GgmlTypeTraits.ByteSize(type, elements)!.Value;
        _tensors.Add(new PendingTensor(name, type, [.. dimensions], byteSize));
    }

    /// <summary>Writes the header (metadata and tensor descriptions); after this only tensor data may be written.</summary>
    public void WriteHeader()
    {
        EnsureState(State.Declaring, "write the header");

        WriteUInt32(GgufConstants.Magic);
        WriteUInt32(GgufConstants.Version);
        WriteUInt64((ulong)_tensors.Count);
        WriteUInt64((ulong)_metadata.Count + 1);

        WriteString(GgufConstants.AlignmentKey);
        WriteUInt32((uint)GgufValueType.UInt32);
        WriteUInt32(_alignment);
        foreach (var (key, value) in _metadata)
        {
            WriteString(key);
            WriteValue(value, key);
        }

        long offset = 0;
        foreach (var tensor in _tensors)
        {
            WriteString(tensor.Name);
            WriteUInt32((uint)tensor.Dimensions.Length);
            foreach (var dimension in tensor.Dimensions)
            {
                WriteUInt64((ulong)dimension);
            }

            WriteUInt32((uint)tensor.Type);
            WriteUInt64((ulong)offset);
            offset = GgufConstants.Align(offset + tensor.ByteSize, _alignment);
        }

        WritePadding();
        _dataStart = _position;
        _state = State.WritingData;
        _currentTensor = 0;
        _currentWritten = 0;
    }

    /// <summary>
    /// Appends bytes to the tensor being written; a chunk may end a tensor and run on into the next ones. Padding
    /// between tensors is inserted by the writer.
    /// </summary>
    public void WriteTensorData(ReadOnlySpan<byte> data)
    {
        EnsureState(State.WritingData, "write tensor data");
        while (!data.IsEmpty)
        {
            if (_currentTensor >= _tensors.Count)
            {
                throw new InvalidOperationException("More tensor data was written than the declared tensors hold.");
            }

            var tensor = _tensors[_currentTensor];
            var take = (int)Math.Min(data.Length, tensor.ByteSize - _currentWritten);
            WriteRaw(data[..take]);
            data = data[take..];
            _currentWritten += take;
            if (_currentWritten == tensor.ByteSize)
            {
                // Like llama.cpp's own writer, every tensor (the last included) is padded to the alignment.
                _currentTensor++;
                _currentWritten = 0;
                WritePadding();
            }
        }
    }

    /// <summary>Name of the tensor whose bytes the next <see cref="WriteTensorData"/> call continues, or null when all are written.</summary>
    public string? CurrentTensorName =>
        _state == State.WritingData && _currentTensor < _tensors.Count ? _tensors[_currentTensor].Name : null;

    /// <summary>Checks that every declared tensor was written in full and flushes the stream.</summary>
    public void Complete()
    {
        EnsureState(State.WritingData, "complete the file");
        if (_currentTensor < _tensors.Count)
        {
            var tensor = _tensors[_currentTensor];
            throw new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture, $"Tensor '{tensor.Name}' has {_currentWritten} of {tensor.ByteSize} bytes; {_tensors.Count - _currentTensor} tensor(s) incomplete."));
        }

        _stream.Flush();
        _state = State.Completed;
    }

    /// <summary>Offset of the tensor data section, known once the header is written.</summary>
    public long DataSectionOffset => _state == State.Declaring
        ? throw new InvalidOperationException("The header has not been written yet.")
        : _dataStart;

    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private void EnsureState(State expected, string action)
    {
        if (_state != expected)
        {
            throw new InvalidOperationException($"Cannot {action} now: the GGUF writer is in state {_state}.");
        }
    }

    private void WriteValue(GgufValue value, string key)
    {
        WriteUInt32((uint)value.Type);
        if (value.Type == GgufValueType.Array)
        {
            WriteArray(value.ElementType!.Value, (Array)value.Value, key);
        }
        else
        {
            WriteScalar(value.Type, value.Value, key);
        }
    }

    private void WriteArray(GgufValueType elementType, Array items, string key)
    {
        WriteUInt32((uint)elementType);
        WriteUInt64((ulong)items.Length);
        switch (items)
        {
            case string[] strings:
                foreach (var s in strings)
                {
                    WriteString(s);
                }

                break;
            case GgufValue[] nested:
                foreach (var element in nested)
                {
                    if (element.Type != GgufValueType.Array)
                    {
                        throw new InvalidOperationException($"GGUF metadata '{key}': an array of arrays holds a {element.Type}.");
                    }

                    WriteArray(element.ElementType!.Value, (Array)element.Value, key);
                }

                break;
            case bool[] flags:
                foreach (var flag in flags)
                {
                    WriteByte(flag ? (byte)1 : (byte)0);
                }

                break;
            case byte[] bytes:
                WriteRaw(bytes);
                break;
            default:
                // Remaining element types are fixed-size little-endian numbers.
                foreach (var element in items)
                {
                    WriteScalar(elementType, element!, key);
                }

                break;
        }
    }

    private void WriteScalar(GgufValueType type, object value, string key)
    {
        switch (type)
        {
            case GgufValueType.UInt8: WriteByte((byte)value); break;
            case GgufValueType.Int8: WriteByte(unchecked((byte)(sbyte)value)); break;
            case GgufValueType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(_scratch, (ushort)value); WriteRaw(_scratch.AsSpan(0, 2)); break;
            case GgufValueType.Int16: BinaryPrimitives.WriteInt16LittleEndian(_scratch, (short)value); WriteRaw(_scratch.AsSpan(0, 2)); break;
            case GgufValueType.UInt32: WriteUInt32((uint)value); break;
            case GgufValueType.Int32: BinaryPrimitives.WriteInt32LittleEndian(_scratch, (int)value); WriteRaw(_scratch.AsSpan(0, 4)); break;
            case GgufValueType.UInt64: WriteUInt64((ulong)value); break;
            case GgufValueType.Int64: BinaryPrimitives.WriteInt64LittleEndian(_scratch, (long)value); WriteRaw(_scratch.AsSpan(0, 8)); break;
            case GgufValueType.Float32: BinaryPrimitives.WriteSingleLittleEndian(_scratch, (float)value); WriteRaw(_scratch.AsSpan(0, 4)); break;
            case GgufValueType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(_scratch, (double)value); WriteRaw(_scratch.AsSpan(0, 8)); break;
            case GgufValueType.Bool: WriteByte((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.String: WriteString((string)value); break;
            default:
                throw new InvalidOperationException($"GGUF metadata '{key}' has a value of unsupported type {type}.");
        }
    }

    private void WriteString(string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        WriteUInt64((ulong)byteCount);
        if (byteCount <= 256)
        {
            Span<byte> buffer = stackalloc byte[byteCount];
            Encoding.UTF8.GetBytes(value, buffer);
            WriteRaw(buffer);
        }
        else
        {
            WriteRaw(Encoding.UTF8.GetBytes(value));
        }
    }

    private void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_scratch, value);
        WriteRaw(_scratch.AsSpan(0, 4));
    }

    private void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_scratch, value);
        WriteRaw(_scratch.AsSpan(0, 8));
    }

    private void WriteByte(byte value)
    {
        _stream.WriteByte(value);
        _position++;
    }

    private void WritePadding()
    {
        var padding = (int)(GgufConstants.Align(_position, _alignment) - _position);
        WriteRaw(Zeros.AsSpan(0, padding));
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        _position += bytes.Length;
    }

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, long ByteSize);
}
