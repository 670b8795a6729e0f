using System.Buffers;

namespace Guardrail.Gateway.Proxy;

/// <summary>
/// A body held whole for a moment (a completion being checked before it is released), in arrays rented from the shared
/// pool instead of fresh ones: a fresh 16 KiB array per response, zeroed and then grown, was most of what a moderated
/// request allocated. Dispose returns the array; nothing may keep <see cref="WrittenMemory"/> past that.
/// </summary>
internal sealed class PooledBodyBuffer : IBufferWriter<byte>, IDisposable
{
    private const int MinimumRead = 4096;

    private byte[] _buffer;
    private int _written;

    /// <param name="expectedLength">The length the sender announced, if any: the first rental fits it, so a body of known
    /// length is read without growing.</param>
    public PooledBodyBuffer(long? expectedLength)
    {
        // One byte more than announced, so that the read which finds the end needs no second array.
        var initial = expectedLength is { } length and >= 0 and < 16 * 1024 * 1024 ? (int)length + 1 : MinimumRead;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initial, MinimumRead));
    }

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(checked(Math.Max(_buffer.Length * 2, _written + needed)));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
