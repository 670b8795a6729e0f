using System.Buffers.Text;
using System.Text;

namespace Guardrail.Gateway.Caching;

/// <summary>
/// RESP2, the Redis wire format: commands go out as arrays of bulk strings; replies are parsed from a buffer
/// that may hold a partial reply (then nothing is consumed and the caller reads more).
/// </summary>
internal static class RespProtocol
{
    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;

    /// <summary>One command as the bytes to send: <c>*N</c> then each argument as <c>$len</c> and its bytes.</summary>
    public static byte[] Encode(params ReadOnlySpan<ReadOnlyMemory<byte>> arguments)
    {
        var size = 1 + Digits(arguments.Length) + 2;
        foreach (var argument in arguments)
        {
            size += 1 + Digits(argument.Length) + 2 + argument.Length + 2;
        }

        var buffer = new byte[size];
        var span = buffer.AsSpan();
        var at = WriteHeader(span, (byte)'*', arguments.Length);
        foreach (var argument in arguments)
        {
            at += WriteHeader(span[at..], (byte)'$', argument.Length);
            argument.Span.CopyTo(span[at..]);
            at += argument.Length;
            CrLf.CopyTo(span[at..]);
            at += 2;
        }

        return buffer;
    }

    /// <summary>A command whose arguments are all text.</summary>
    public static byte[] Encode(params ReadOnlySpan<string> arguments)
    {
        var encoded = new ReadOnlyMemory<byte>[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            encoded[i] = Encoding.UTF8.GetBytes(arguments[i]);
        }

        return Encode(encoded);
    }

    /// <summary>
    /// Parses one reply from the start of <paramref name="data"/>. False when <paramref name="data"/> holds only
    /// part of a reply. Throws <see cref="RedisException"/> on bytes that are not RESP2.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out RedisReply reply, out int consumed)
    {
        reply = RedisReply.Null;
        consumed = 0;
        if (data.IsEmpty)
        {
            return false;
        }

        var lineEnd = data.IndexOf(CrLf);
        if (lineEnd < 0)
        {
            return false;
        }

        var line = data[1..lineEnd];
        var afterLine = lineEnd + 2;
        switch (data[0])
        {
            case (byte)'+':
                reply = RedisReply.Simple(Encoding.UTF8.GetString(line));
                consumed = afterLine;
                return true;
            case (byte)'-':
                reply = RedisReply.Failure(Encoding.UTF8.GetString(line));
                consumed = afterLine;
                return true;
            case (byte)':':
                reply = RedisReply.Number(ParseInteger(line));
                consumed = afterLine;
                return true;
            case (byte)'$':
            {
                var length = ParseInteger(line);
                if (length < 0)
                {
                    consumed = afterLine;
                    return true;
                }

                if (data.Length - afterLine < length + 2)
                {
                    return false;
                }

                var body = data.Slice(afterLine, (int)length);
                if (!data.Slice(afterLine + (int)length, 2).SequenceEqual(CrLf))
                {
                    throw new RedisException("Malformed RESP bulk string: missing CRLF after the payload.");
                }

                reply = RedisReply.Bulk(body.ToArray());
                consumed = afterLine + (int)length + 2;
                return true;
            }

            case (byte)'*':
            {
                var count = ParseInteger(line);
                if (count < 0)
                {
                    consumed = afterLine;
                    return true;
                }

                var items = new RedisReply[count];
                var at = afterLine;
                for (var i = 0; i < count; i++)
                {
                    if (!TryParse(data[at..], out items[i], out var used))
                    {
                        return false;
                    }

                    at += used;
                }

                reply = RedisReply.Multi(items);
                consumed = at;
                return true;
            }

            default:
                throw new RedisException($"Unexpected RESP type byte 0x{data[0]:x2}.");
        }
    }

    private static long ParseInteger(ReadOnlySpan<byte> text)
    {
        if (!Utf8Parser.TryParse(text, out long value, out var used) || used != text.Length)
        {
            throw new RedisException("Malformed RESP integer.");
        }

        return value;
    }

    private static int WriteHeader(Span<byte> span, byte type, int value)
    {
        span[0] = type;
        Utf8Formatter.TryFormat(value, span[1..], out var written);
        CrLf.CopyTo(span[(1 + written)..]);
        return 1 + written + 2;
    }

    private static int Digits(int value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
