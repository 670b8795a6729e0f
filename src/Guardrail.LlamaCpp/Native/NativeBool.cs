namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// C's one-byte <c>bool</c> inside mirrored structs. A .NET <see cref="bool"/> field would make the struct
/// non-blittable (it marshals as a 4-byte Win32 BOOL), shifting every field after it.
/// </summary>
internal readonly record struct NativeBool(byte Value)
{
    public static implicit operator bool(NativeBool value) => value.Value != 0;

    public static implicit operator NativeBool(bool value) => new(value ? (byte)1 : (byte)0);

    public bool ToBoolean() => Value != 0;

    public static NativeBool FromBoolean(bool value) => value;
}
