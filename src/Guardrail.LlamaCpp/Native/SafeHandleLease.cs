using System.Runtime.InteropServices;

namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// Keeps a SafeHandle's native object alive for the duration of a call that passes a raw pointer derived from it
/// (the vocab pointer of a model, the memory pointer of a context). Throws <see cref="ObjectDisposedException"/>
/// when the handle is already closed instead of letting native code read freed memory.
/// </summary>
internal readonly ref struct SafeHandleLease
{
    private readonly SafeHandle _handle;
    private readonly bool _added;

    public SafeHandleLease(SafeHandle handle)
    {
        _handle = handle;
        var added = false;
        handle.DangerousAddRef(ref added);
        _added = added;
    }

    public void Dispose()
    {
        if (_added)
        {
            _handle.DangerousRelease();
        }
    }
}
