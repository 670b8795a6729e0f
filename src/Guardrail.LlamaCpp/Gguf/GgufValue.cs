using System.Globalization;

namespace Guardrail.LlamaCpp.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar, a string, or an array. Arrays hold a typed .NET array matching their element
/// type (<c>string[]</c>, <c>float[]</c>, <c>int[]</c>, ..., or <see cref="GgufValue"/>[] for nested arrays).
/// </summary>
internal sealed class GgufValue
{
    private GgufValue(GgufValueType type, GgufValueType? elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    public GgufValueType Type { get; }

    /// <summary>Element type when <see cref="Type"/> is <see cref="GgufValueType.Array"/>; otherwise null.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>The boxed scalar, the string, or the typed array.</summary>
    public object Value { get; }

    /// <summary>Number of elements of an array value.</summary>
    public int ArrayLength => Value is Array array ? array.Length : throw NotA("array");

    public static GgufValue FromUInt8(byte value) => new(GgufValueType.UInt8, null, value);

    public static GgufValue FromInt8(sbyte value) => new(GgufValueType.Int8, null, value);

    public static GgufValue FromUInt16(ushort value) => new(GgufValueType.UInt16, null, value);

    public static GgufValue FromInt16(short value) => new(GgufValueType.Int16, null, value);

    public static GgufValue FromUInt32(uint value) => new(GgufValueType.UInt32, null, value);

    public static GgufValue FromInt32(int value) => new(GgufValueType.Int32, null, value);

    public static GgufValue FromUInt64(ulong value) => new(GgufValueType.UInt64, null, value);

    public static GgufValue FromInt64(long value) => new(GgufValueType.Int64, null, value);

    public static GgufValue FromFloat32(float value) => new(GgufValueType.Float32, null, value);

    public static GgufValue FromFloat64(double value) => new(GgufValueType.Float64, null, value);

    public static GgufValue FromBool(bool value) => new(GgufValueType.Bool, null, value);

    public static GgufValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(GgufValueType.String, null, value);
    }

    /// <summary>
    /// Creates an array value; <paramref name="items"/> must be the .NET array type that matches
    /// <paramref name="elementType"/> (for example <c>float[]</c> for <see cref="GgufValueType.Float32"/>).
    /// </summary>
    public static GgufValue FromArray(GgufValueType elementType, Array items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var expected = ClrArrayType(elementType);
        if (items.GetType() != expected)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"A GGUF array of {elementType} must be a {expected.Name}, not a {items.GetType().Name}."),
                nameof(items));
        }

        return new(GgufValueType.Array, elementType, items);
    }

    public string AsString() => Value as string ?? throw NotA("string");

    public bool AsBool() => Value is bool b ? b : throw NotA("bool");

    /// <summary>Any integer type whose value is non-negative, widened to <see cref="ulong"/>.</summary>
    public ulong AsUInt64() => Value switch
    {
        byte v => v,
        ushort v => v,
        uint v => v,
        ulong v => v,
        sbyte v when v >= 0 => (ulong)v,
        short v when v >= 0 => (ulong)v,
        int v when v >= 0 => (ulong)v,
        long v when v >= 0 => (ulong)v,
        _ => throw NotA("non-negative integer"),
    };

    /// <summary>Any integer type that fits in <see cref="long"/>.</summary>
    public long AsInt64() => Value switch
    {
        byte v => v,
        ushort v => v,
        uint v => v,
        ulong v when v <= long.MaxValue => (long)v,
        sbyte v => v,
        short v => v,
        int v => v,
        long v => v,
        _ => throw NotA("integer"),
    };

    /// <summary>Any numeric type widened to <see cref="double"/>.</summary>
    public double AsDouble() => Value switch
    {
        float v => v,
        double v => v,
        bool => throw NotA("number"),
        string or Array => throw NotA("number"),
        _ => AsInt64(),
    };

    /// <summary>The typed array of an array value, for example <c>AsArray&lt;string&gt;()</c>.</summary>
    public T[] AsArray<T>() => Value as T[] ?? throw NotA(typeof(T).Name + "[]");

    public override string ToString() => Value switch
    {
        string s => s,
        Array a => string.Create(CultureInfo.InvariantCulture, $"[{ElementType} x {a.Length}]"),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Value.ToString() ?? string.Empty,
    };

    internal static Type ClrArrayType(GgufValueType elementType) => elementType switch
    {
        GgufValueType.UInt8 => typeof(byte[]),
        GgufValueType.Int8 => typeof(sbyte[]),
        GgufValueType.UInt16 => typeof(ushort[]),
        GgufValueType.Int16 => typeof(short[]),
        GgufValueType.UInt32 => typeof(uint[]),
        GgufValueType.Int32 => typeof(int[]),
        GgufValueType.UInt64 => typeof(ulong[]),
        GgufValueType.Int64 => typeof(long[]),
        GgufValueType.Float32 => typeof(float[]),
        GgufValueType.Float64 => typeof(double[]),
        GgufValueType.Bool => typeof(bool[]),
        GgufValueType.String => typeof(string[]),
        GgufValueType.Array => typeof(GgufValue[]),
        _ => throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "Unknown GGUF value type."),
    };

    private InvalidOperationException NotA(string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"GGUF value of type {Type}{(ElementType is { } e ? "<" + e + ">" : string.Empty)} is not a {what}."));
}
