using System.Security.Cryptography;

namespace Guardrail.Auditing;

/// <summary>Makes decision ids that sort by time: 26 characters of Crockford base32 holding 48 bits of Unix
/// milliseconds and 80 bits of randomness (the ULID layout).</summary>
/// <remarks>
/// Ids from one process are strictly increasing, whatever the clock does: within one millisecond, or when the clock
/// steps back, the previous id's random part is incremented instead of drawing a new one. The store pages by id, so
/// this order is the order reviewers see. The state is shared by every instance in the process so that two
/// generators (two hosts in one test, say) cannot interleave out of order.
/// </remarks>
public sealed class AuditIdGenerator
{
    /// <summary>Length of every id.</summary>
    public const int Length = 26;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly UInt128 RandomMask = (UInt128.One << 80) - 1;
    private static readonly Lock Gate = new();
    private static long _lastMilliseconds = -1;
    private static UInt128 _lastRandom;

    private readonly TimeProvider _timeProvider;

    public AuditIdGenerator(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
    }

    /// <summary>Returns the next id.</summary>
    public string Next()
    {
        var now = Math.Clamp(_timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), 0, (1L << 48) - 1);
        long milliseconds;
        UInt128 random;
        lock (Gate)
        {
            if (now > _lastMilliseconds)
            {
                milliseconds = now;
                random = DrawRandom();
            }
            else
            {
                milliseconds = _lastMilliseconds;
                random = (_lastRandom + 1) & RandomMask;
                if (random == UInt128.Zero)
                {
                    // 2^80 ids in one millisecond cannot happen in practice; moving on keeps the order anyway.
                    milliseconds++;
                }
            }

            _lastMilliseconds = milliseconds;
            _lastRandom = random;
        }

        return Encode(((UInt128)(ulong)milliseconds << 80) | random);
    }

    /// <summary>The time held in an id, to the millisecond; false when the text is not an id.</summary>
    public static bool TryGetTime(string? id, out DateTimeOffset time)
    {
        time = default;
        if (id is null || id.Length != Length)
        {
            return false;
        }

        UInt128 value = 0;
        foreach (var c in id)
        {
            var digit = Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 5) | (uint)digit;
        }

        time = DateTimeOffset.FromUnixTimeMilliseconds((long)(ulong)(value >> 80));
        return true;
    }

    private static UInt128 DrawRandom()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        // Leave headroom below 2^80 so that increments within one millisecond practically never wrap.
        return new UInt128(BitConverter.ToUInt64(bytes[..8]), BitConverter.ToUInt64(bytes[8..])) & (RandomMask >> 1);
    }

    private static string Encode(UInt128 value)
    {
        // 26 digits of 5 bits hold 130 bits; the top two are always zero, so the first digit is 0 to 7.
        return string.Create(Length, value, static (span, v) =>
        {
            for (var i = span.Length - 1; i >= 0; i--)
            {
                span[i] = Alphabet[(int)(uint)(v & 31)];
                v >>= 5;
            }
        });
    }
}
