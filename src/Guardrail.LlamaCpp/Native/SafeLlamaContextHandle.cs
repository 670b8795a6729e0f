using Microsoft.Win32.SafeHandles;

namespace Guardrail.LlamaCpp.Native;

/// <summary>
/// Owns a <c>llama_context*</c>. It holds a reference on its model handle so that the model, whose weights the
/// context reads, is freed only after the context, whatever order the managed owners are disposed or finalized in.
/// </summary>
internal sealed class SafeLlamaContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private SafeLlamaModelHandle? _model;

    public SafeLlamaContextHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Creates a context on <paramref name="model"/>; null when llama.cpp refuses the parameters.</summary>
    public static SafeLlamaContextHandle? Create(SafeLlamaModelHandle model, LlamaContextParams parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        var added = false;
        model.DangerousAddRef(ref added);
        try
        {
            var raw = LlamaNative.llama_init_from_model(model, parameters);
            if (raw == 0)
            {
                return null;
            }

            var context = new SafeLlamaContextHandle { _model = model };
            context.SetHandle(raw);
            added = false; // ownership of the reference moved to the context
            return context;
        }
        finally
        {
            if (added)
            {
                model.DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle()
    {
        LlamaNative.llama_free(handle);
        _model?.DangerousRelease();
        _model = null;
        return true;
    }
}
