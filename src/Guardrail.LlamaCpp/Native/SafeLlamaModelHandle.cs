using Microsoft.Win32.SafeHandles;

namespace Guardrail.LlamaCpp.Native;

/// <summary>Owns a <c>llama_model*</c>; freed with <c>llama_model_free</c> once no context holds a reference.</summary>
internal sealed class SafeLlamaModelHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeLlamaModelHandle()
        : base(ownsHandle: true)
    {
    }

    internal SafeLlamaModelHandle(nint handle)
        : base(ownsHandle: true) => SetHandle(handle);

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_model_free(handle);
        return true;
    }
}
